terraform {
  required_version = ">= 1.6"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }

  # State lives in an Azure storage account of its own; pass its details at init (see README.md).
  backend "azurerm" {}
}

provider "azurerm" {
  features {}
  # Storage account keys are disabled; the provider uses Entra ID for blob data-plane calls too.
  storage_use_azuread = true
}

locals {
  prefix = "${var.name}-${var.environment}"
  # Storage account and registry names allow only lowercase letters and digits.
  compact_name = "${var.name}${var.environment}"
  tags         = merge({ application = "precise", environment = var.environment }, var.tags)
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "main" {
  name     = "${local.prefix}-rg"
  location = var.location
  tags     = local.tags
}

# The one identity every pod runs as (workload identity, federated with the chart's service account).
resource "azurerm_user_assigned_identity" "workload" {
  name                = "${local.prefix}-workload"
  location            = azurerm_resource_group.main.location
  resource_group_name = azurerm_resource_group.main.name
  tags                = local.tags
}

variable "name" {
  description = "Short name every resource name starts with."
  type        = string
  default     = "precise"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{2,10}$", var.name))
    error_message = "name: 3-11 lowercase letters or digits, starting with a letter (storage account names allow no more)."
  }
}

variable "environment" {
  description = "Environment label, e.g. dev, test, prod."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{2,8}$", var.environment))
    error_message = "environment: 2-8 lowercase letters or digits."
  }
}

variable "location" {
  description = "Azure region."
  type        = string
  default     = "uksouth"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- Service Bus: the topology comes from topology.auto.tfvars.json (`make topology`) ---

variable "servicebus_topics" {
  description = "Topic name -> description. Generated from the topic registry."
  type = map(object({
    description = string
  }))
}

variable "servicebus_subscriptions" {
  description = "\"<topic>.<service>\" -> subscription and its correlation rules. Generated from the topic registry."
  type = map(object({
    topic              = string
    service            = string
    max_delivery_count = number
    event_types        = list(string)
    rules = map(object({
      label = optional(string)
      to    = optional(string)
    }))
  }))
}

variable "servicebus_sku" {
  description = "Standard or Premium (Premium for production: isolation, predictable latency)."
  type        = string
  default     = "Premium"

  validation {
    condition     = contains(["Standard", "Premium"], var.servicebus_sku)
    error_message = "servicebus_sku: Standard or Premium (Basic has no topics)."
  }
}

variable "servicebus_capacity" {
  description = "Messaging units when the SKU is Premium (1, 2, 4, 8 or 16)."
  type        = number
  default     = 1
}

variable "duplicate_detection_window" {
  description = "How long a topic remembers message ids (the event id) to drop re-sends, ISO 8601."
  type        = string
  default     = "PT10M"
}

variable "subscription_lock_duration" {
  description = "Peek-lock duration, ISO 8601; the bus adapter renews locks while a handler runs."
  type        = string
  default     = "PT1M"
}

# --- Blob storage ---

variable "services" {
  description = "Services that get a blob container of their own, named after the service."
  type        = list(string)
  default = [
    "ingest-adapters",
    "person-profile",
    "risk-summary",
    "evidence-vault",
    "redaction",
    "share-to-cps",
    "workflow-forms",
  ]
}

variable "evidence_service" {
  description = "The service whose container holds evidence and gets the WORM policy."
  type        = string
  default     = "evidence-vault"
}

variable "evidence_retention_days" {
  description = "Days an evidence blob can be neither changed nor deleted."
  type        = number
  default     = 2555
}

variable "evidence_policy_locked" {
  description = "Lock the evidence WORM policy. Irreversible: the container and account can then not be deleted."
  type        = bool
  default     = false
}

variable "storage_replication" {
  description = "Storage account replication (LRS, ZRS, GRS, GZRS, ...)."
  type        = string
  default     = "ZRS"
}

# --- PostgreSQL ---

variable "postgres_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "postgres_sku" {
  description = "Flexible server SKU."
  type        = string
  default     = "GP_Standard_D2s_v3"
}

variable "postgres_storage_mb" {
  description = "Storage in MB."
  type        = number
  default     = 32768
}

# --- AKS ---

variable "aks_node_count" {
  description = "Nodes in the default pool."
  type        = number
  default     = 2
}

variable "aks_vm_size" {
  description = "VM size of the default pool."
  type        = string
  default     = "Standard_D4s_v5"
}

variable "kubernetes_namespace" {
  description = "Namespace the Helm chart is installed in."
  type        = string
  default     = "precise"
}

variable "kubernetes_service_account" {
  description = "Service account of the Helm chart's pods (deploy/helm/precise values: serviceAccount.name)."
  type        = string
  default     = "precise"
}

# --- Monitoring ---

variable "log_retention_days" {
  description = "Log Analytics retention in days."
  type        = number
  default     = 90
}

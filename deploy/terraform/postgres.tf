resource "azurerm_postgresql_flexible_server" "main" {
  name                          = "${local.prefix}-pg"
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  version                       = var.postgres_version
  sku_name                      = var.postgres_sku
  storage_mb                    = var.postgres_storage_mb
  backup_retention_days         = 35
  geo_redundant_backup_enabled  = true
  public_network_access_enabled = true # until private networking lands; Entra ID and TLS only
  tags                          = local.tags

  # No passwords: services sign in with the workload identity.
  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = false
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }

  lifecycle {
    ignore_changes = [zone] # Azure picks the zone; do not fight it
  }
}

resource "azurerm_postgresql_flexible_server_database" "precise" {
  name      = "precise"
  server_id = azurerm_postgresql_flexible_server.main.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

# Services create their own schemas and run migrations, so the workload identity administers the server.
resource "azurerm_postgresql_flexible_server_active_directory_administrator" "workload" {
  server_name         = azurerm_postgresql_flexible_server.main.name
  resource_group_name = azurerm_resource_group.main.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  object_id           = azurerm_user_assigned_identity.workload.principal_id
  principal_name      = azurerm_user_assigned_identity.workload.name
  principal_type      = "ServicePrincipal"
}

# Reach from the AKS cluster's outbound addresses (Azure services) until private networking lands.
resource "azurerm_postgresql_flexible_server_firewall_rule" "azure_services" {
  name             = "allow-azure-services"
  server_id        = azurerm_postgresql_flexible_server.main.id
  start_ip_address = "0.0.0.0"
  end_ip_address   = "0.0.0.0"
}

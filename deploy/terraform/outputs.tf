output "resource_group_name" {
  value = azurerm_resource_group.main.name
}

output "aks_cluster_name" {
  value = azurerm_kubernetes_cluster.main.name
}

output "container_registry" {
  description = "Login server to push service images to."
  value       = azurerm_container_registry.main.login_server
}

output "workload_identity_client_id" {
  description = "Helm value workloadIdentity.clientId."
  value       = azurerm_user_assigned_identity.workload.client_id
}

output "servicebus_topics" {
  description = "Topics created from the topic registry."
  value       = sort(keys(azurerm_servicebus_topic.topic))
}

# Settings every service reads (PRECISE_*), for the Helm value `env`.
output "platform_env" {
  value = {
    PRECISE_SERVICEBUS_NAMESPACE = "${azurerm_servicebus_namespace.main.name}.servicebus.windows.net"
    PRECISE_BLOB_ACCOUNT_URL     = azurerm_storage_account.main.primary_blob_endpoint
    PRECISE_ENTRA_TENANT_ID      = data.azurerm_client_config.current.tenant_id
    PRECISE_DATABASE_URL         = "postgresql+asyncpg://${azurerm_user_assigned_identity.workload.name}@${azurerm_postgresql_flexible_server.main.fqdn}:5432/${azurerm_postgresql_flexible_server_database.precise.name}?ssl=require"
  }
}

output "applicationinsights_connection_string" {
  description = "Helm value env.APPLICATIONINSIGHTS_CONNECTION_STRING."
  value       = azurerm_application_insights.main.connection_string
  sensitive   = true
}

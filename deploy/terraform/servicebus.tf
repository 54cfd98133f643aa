# Topics, subscriptions and rules come from topology.auto.tfvars.json, generated from the topic registry
# in libs/contracts by `make topology`. Services hold Send/Listen only: this file owns the topology.

resource "azurerm_servicebus_namespace" "main" {
  name                         = "${local.prefix}-bus"
  location                     = azurerm_resource_group.main.location
  resource_group_name          = azurerm_resource_group.main.name
  sku                          = var.servicebus_sku
  capacity                     = var.servicebus_sku == "Premium" ? var.servicebus_capacity : 0
  premium_messaging_partitions = var.servicebus_sku == "Premium" ? 1 : 0
  local_auth_enabled           = false # Entra ID only; no connection strings to leak
  minimum_tls_version          = "1.2"
  tags                         = local.tags
}

resource "azurerm_servicebus_topic" "topic" {
  for_each = var.servicebus_topics

  name                                    = each.key
  namespace_id                            = azurerm_servicebus_namespace.main.id
  requires_duplicate_detection            = true # the message id is the event id; re-sends are dropped
  duplicate_detection_history_time_window = var.duplicate_detection_window
}

resource "azurerm_servicebus_subscription" "subscription" {
  for_each = var.servicebus_subscriptions

  name                                      = each.value.service
  topic_id                                  = azurerm_servicebus_topic.topic[each.value.topic].id
  max_delivery_count                        = each.value.max_delivery_count
  lock_duration                             = var.subscription_lock_duration
  dead_lettering_on_message_expiration      = true
  dead_lettering_on_filter_evaluation_error = true
}

locals {
  subscription_rules = {
    for rule in flatten([
      for key, subscription in var.servicebus_subscriptions : [
        for name, filter in subscription.rules : {
          key          = "${key}/${name}"
          subscription = key
          name         = name
          label        = filter.label
          to           = filter.to
        }
      ]
    ]) : rule.key => rule
  }
}

# One correlation rule per wanted event type (the message subject, `label` here, is the event type) and a
# replay rule (`to` = the subscription). Creating a rule through Azure Resource Manager removes the
# subscription's catch-all $Default rule, so these rules are the whole filter.
resource "azurerm_servicebus_subscription_rule" "rule" {
  for_each = local.subscription_rules

  name            = each.value.name
  subscription_id = azurerm_servicebus_subscription.subscription[each.value.subscription].id
  filter_type     = "CorrelationFilter"

  correlation_filter {
    label = each.value.label
    to    = each.value.to
  }
}

resource "azurerm_role_assignment" "workload_servicebus" {
  for_each = toset(["Azure Service Bus Data Sender", "Azure Service Bus Data Receiver"])

  scope                = azurerm_servicebus_namespace.main.id
  role_definition_name = each.key
  principal_id         = azurerm_user_assigned_identity.workload.principal_id
  principal_type       = "ServicePrincipal"
}

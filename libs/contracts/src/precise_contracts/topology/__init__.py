"""Everything generated from the topic registry (`make topology`): the AsyncAPI document, JSON Schemas,
RabbitMQ definitions, Terraform variables and Helm values, and the naming rules the bus adapters share."""

// In the workspace's resource group: the app's roles on the workspace, its Event Grid system topic, and the
// subscriptions that deliver the workspace's events to the aml_events function (Event Grid schema). main.bicep uses
// it for the app's workspace and again for each other workspace of the policy (`workspaces:`: test, prd), whose
// endpoints azureml_endpoint targets deploy to (`workspace:` on the target).
param workspaceName string
param workspaceLocation string
param environmentName string
param tags object
param identityId string
param identityPrincipalId string
param existingSystemTopicName string
param subscribeEvents bool
param functionAppId string
param deadLetterStorageId string
param deadLetterContainer string
param maxDeliveryAttempts int
param eventTimeToLiveInMinutes int
@description('An Event Grid system topic the resource group already has (one per source): the watchdog subscribes there.')
param existingGroupTopicName string = ''
@description('Appended to the names of the topics this module creates: one module per workspace in one resource group.')
param topicSuffix string = ''
@description('Subscribe to ARM writes of the workspace\'s online endpoints (the watchdog) from the resource group topic.')
param watchEndpoints bool = true

// AzureML Data Scientist: submit jobs, read runs and metrics, tag models; create online deployments and set
// endpoint traffic (azureml_endpoint CD targets) (docs/azure.md).
var dataScientistRole = 'f6c7c914-8db3-469d-8ca1-694a8f32e121'
// Monitoring Reader: read the online deployments' metrics during a rollout's bake (azureml_endpoint CD targets).
var monitoringReaderRole = '43d0d8ad-25c7-4714-9337-8ba259a9fe05'
var prefix = 'Microsoft.MachineLearningServices.'
// Event types the app handles (shared/core/event_types.py; a test compares the lists).
var modelAndRunTypes = [
  '${prefix}ModelRegistered'
  '${prefix}ModelDeployed'
  '${prefix}RunCompleted'
  '${prefix}DatasetDriftDetected'
]
// Only terminal statuses: Completed closes an offline test (and carries monitor breaches), the rest page on-call.
var terminalStatuses = ['Completed', 'Failed', 'Canceled', 'NotResponding']
var topicName = empty(existingSystemTopicName) ? 'egst-mlops-reactor-${environmentName}${topicSuffix}' : existingSystemTopicName
var retryPolicy = {
  maxDeliveryAttempts: maxDeliveryAttempts
  eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
}
var destination = {
  endpointType: 'AzureFunction'
  properties: {
    resourceId: '${functionAppId}/functions/aml_events'
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
  }
}
var deadLetter = {
  identity: { type: 'UserAssigned', userAssignedIdentity: identityId }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: { resourceId: deadLetterStorageId, blobContainerName: deadLetterContainer }
  }
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = {
  name: workspaceName
}

resource workspaceRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, identityPrincipalId, dataScientistRole)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataScientistRole)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, identityPrincipalId, monitoringReaderRole)
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringReaderRole)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: topicName
  location: workspaceLocation
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    source: workspace.id
    topicType: 'Microsoft.MachineLearningServices.Workspaces'
  }
}

// Advanced filters are ANDed and a filter on a key an event lacks does not match, so a runStatus filter would
// drop ModelRegistered: run status changes have a subscription of their own (docs/azure.md).
resource modelsAndRuns 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribeEvents) {
  parent: topic
  name: 'mlops-reactor-models'
  properties: {
    destination: destination
    eventDeliverySchema: 'EventGridSchema'
    filter: { includedEventTypes: modelAndRunTypes }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

resource statusChanges 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribeEvents) {
  parent: topic
  name: 'mlops-reactor-runs'
  properties: {
    destination: destination
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['${prefix}RunStatusChanged']
      advancedFilters: [
        { operatorType: 'StringIn', key: 'data.runStatus', values: terminalStatuses }
      ]
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

// The production watchdog: v2 online endpoints emit no ModelDeployed, so ARM's writes to the workspace's online
// endpoints and their deployments come from the resource group's system topic. The subject is the written
// resource's id (Event Grid compares subjects case-insensitively unless told otherwise).
var groupTopicName = empty(existingGroupTopicName) ? 'egst-mlops-reactor-rg-${environmentName}${topicSuffix}' : existingGroupTopicName

resource groupTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = if (watchEndpoints) {
  name: groupTopicName
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    source: resourceGroup().id
    topicType: 'Microsoft.Resources.ResourceGroups'
  }
}

resource endpointWrites 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (subscribeEvents && watchEndpoints) {
  parent: groupTopic
  name: 'mlops-reactor-endpoints'
  properties: {
    destination: destination
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess']
      subjectBeginsWith: '${workspace.id}/onlineEndpoints/'
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
}

output systemTopicName string = topic.name

// MLOps Reactor on Azure: the Function App (Flex Consumption) wired to an existing Azure ML workspace.
// `azd up` deploys it (azure.yaml); CI uses `az deployment sub create` with infra/env/<env>.parameters.json.
targetScope = 'subscription'

@minLength(1)
@maxLength(20)
@description('Environment name (dev, test, prd): names every resource.')
param environmentName string

@description('Region of the app resources.')
param location string

@description('Resource id of the existing Azure ML workspace the app reacts to and submits jobs in.')
param workspaceId string

@description('Region of the workspace (the Event Grid system topic lives there).')
param workspaceLocation string = location

@description('Name of an Event Grid system topic the workspace already has (a workspace can have only one); empty: create one.')
param existingSystemTopicName string = ''

@description('The resource group\'s existing Event Grid system topic, if it has one (only one per source): the watchdog subscribes there.')
param existingGroupTopicName string = ''

@description('The policy\'s other workspaces (`workspaces:` in policy.yaml: test, prd), each {id, location?, existingSystemTopicName?, existingGroupTopicName?, watchEndpoints?}: the app hears their events, deploys to their endpoints (a target\'s `workspace:`) and reads their metrics.')
param otherWorkspaces array = []

@description('Resource id of the Azure ML registry of the policy (`registry:`): dev versions are copied there and other workspaces deploy them from there; empty: none.')
param registryId string = ''

@description('Create the Event Grid subscriptions (needs the aml_events function deployed: azd sets it after the first deploy).')
param subscribeEvents bool = false

@description('Always-ready instances for the aml_events function (0: scale from zero).')
@minValue(0)
param alwaysReadyInstances int = 0

@description('Upper bound of instances (Flex: 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Event Grid retry policy: attempts (1-30) and time to live in minutes (1-1440).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

@description('Email of the channel: kind of email the policy uses; acs grants the identity the ACS sender role.')
@allowed(['none', 'acs', 'smtp'])
param emailKind string = 'none'

@description('Resource id of the Communication Services resource (emailKind acs).')
param acsResourceId string = ''

@description('From address of email (ACS: a verified domain) and its ACS endpoint https://<resource>.communication.azure.com.')
param emailSender string = ''
param acsEndpoint string = ''

@description('Client id of the Entra app registration for App Service Authentication (empty: no sign-in, approvals answer 401).')
param authClientId string = ''

@description('Object ids of the people allowed to sign in (the approvers); empty: anyone in the tenant.')
param approverObjectIds array = []

@description('Emails told by the alert rules.')
param alertEmails array = []

@description('Hours without any event after which the "no events" alert fires.')
param quietHours int = 24

@description('prd: disable what can be disabled without VNet integration (SCM basic auth, shared keys, KV purge).')
param lockDown bool = false

param tags object = {}

var suffix = uniqueString(subscription().id, environmentName, location)
var allTags = union(tags, { 'azd-env-name': environmentName, app: 'mlops-reactor' })
var wsParts = split(workspaceId, '/')
// a placeholder id when there is no registry: a module's scope is evaluated even when its condition is false
var registryParts = split(empty(registryId) ? '${subscription().id}/resourceGroups/none/providers/Microsoft.MachineLearningServices/registries/none' : registryId, '/')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-mlops-reactor-${environmentName}'
  location: location
  tags: allTags
}

module core 'app/core.bicep' = {
  name: 'core'
  scope: rg
  params: {
    environmentName: environmentName
    location: location
    suffix: suffix
    tags: allTags
    lockDown: lockDown
  }
}

module func 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    environmentName: environmentName
    location: location
    suffix: suffix
    tags: allTags
    identityId: core.outputs.identityId
    identityClientId: core.outputs.identityClientId
    identityPrincipalId: core.outputs.identityPrincipalId
    storageName: core.outputs.storageName
    deploymentContainer: core.outputs.deploymentContainer
    vaultName: core.outputs.vaultName
    appInsightsConnectionString: core.outputs.appInsightsConnectionString
    workspaceId: workspaceId
    alwaysReadyInstances: alwaysReadyInstances
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    emailKind: emailKind
    acsResourceId: acsResourceId
    emailSender: emailSender
    acsEndpoint: acsEndpoint
    authClientId: authClientId
    approverObjectIds: approverObjectIds
    lockDown: lockDown
  }
}

module events 'app/events.bicep' = {
  name: 'events'
  scope: resourceGroup(wsParts[2], wsParts[4])
  params: {
    workspaceName: last(wsParts)
    workspaceLocation: workspaceLocation
    environmentName: environmentName
    tags: allTags
    identityId: core.outputs.identityId
    identityPrincipalId: core.outputs.identityPrincipalId
    existingSystemTopicName: existingSystemTopicName
    existingGroupTopicName: existingGroupTopicName
    subscribeEvents: subscribeEvents
    functionAppId: func.outputs.appId
    deadLetterStorageId: core.outputs.storageId
    deadLetterContainer: core.outputs.deadLetterContainer
    maxDeliveryAttempts: maxDeliveryAttempts
    eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
  }
}

// Each other workspace: the same roles, its own system topic and subscriptions (a workspace has one system topic:
// name an existing one). The watchdog's resource group topic too (it reads a written endpoint in its own workspace):
// a resource group has one such topic, so a workspace sharing its group with another sets `watchEndpoints: false`
// (or `existingGroupTopicName`).
module otherEvents 'app/events.bicep' = [for (ws, i) in otherWorkspaces: {
  name: 'events-${i}'
  scope: resourceGroup(split(ws.id, '/')[2], split(ws.id, '/')[4])
  params: {
    workspaceName: last(split(ws.id, '/'))
    workspaceLocation: contains(ws, 'location') ? ws.location : workspaceLocation
    environmentName: environmentName
    topicSuffix: '-${last(split(ws.id, '/'))}'
    tags: allTags
    identityId: core.outputs.identityId
    identityPrincipalId: core.outputs.identityPrincipalId
    existingSystemTopicName: contains(ws, 'existingSystemTopicName') ? ws.existingSystemTopicName : ''
    existingGroupTopicName: contains(ws, 'existingGroupTopicName') ? ws.existingGroupTopicName : ''
    watchEndpoints: contains(ws, 'watchEndpoints') ? ws.watchEndpoints : true
    subscribeEvents: subscribeEvents
    functionAppId: func.outputs.appId
    deadLetterStorageId: core.outputs.storageId
    deadLetterContainer: core.outputs.deadLetterContainer
    maxDeliveryAttempts: maxDeliveryAttempts
    eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
  }
}]

module registryRole 'app/registry-role.bicep' = if (!empty(registryId)) {
  name: 'registry-role'
  scope: resourceGroup(registryParts[2], registryParts[4])
  params: {
    registryName: last(registryParts)
    identityPrincipalId: core.outputs.identityPrincipalId
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    environmentName: environmentName
    location: location
    tags: allTags
    appInsightsId: core.outputs.appInsightsId
    functionAppId: func.outputs.appId
    alertEmails: alertEmails
    quietHours: quietHours
  }
}

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = func.outputs.appName
output AZURE_FUNCTION_URL string = 'https://${func.outputs.hostName}'
output AZURE_CLIENT_ID string = core.outputs.identityClientId
output AZURE_KEY_VAULT_NAME string = core.outputs.vaultName

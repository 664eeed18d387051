// The identity, storage, telemetry and Key Vault the Function App runs on; the storage roles of the identity.
param environmentName string
param location string
param suffix string
param tags object
param lockDown bool

// Built-in role definition ids (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}
var deploymentContainer = 'app-package'
var deadLetterContainer = 'eventgrid-deadletter'
// The Functions host keeps its leases (the sweep timer) and keys in these containers (identity-based AzureWebJobsStorage).
var hostContainers = ['azure-webjobs-hosts', 'azure-webjobs-secrets']
var stateTables = ['reactorClaims', 'reactorSubjects', 'reactorJobs', 'reactorDeadLetters']

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-mlops-reactor-${environmentName}'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-mlops-reactor-${environmentName}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-mlops-reactor-${environmentName}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('streactor${suffix}', 24)
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: lockDown ? 'Standard_ZRS' : 'Standard_LRS' }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
    containerDeleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainer
  properties: { publicAccess: 'None' }
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deadLetterContainer
  properties: { publicAccess: 'None' }
}

resource hostContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in hostContainers: {
    parent: blobs
    name: name
    properties: { publicAccess: 'None' }
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for name in stateTables: {
    parent: tableService
    name: name
  }
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: take('kv-reactor-${suffix}', 24)
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: lockDown ? 90 : 7
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { bypass: 'AzureServices', defaultAction: 'Allow' }
  }
}

// State: claims, records, ledger, dead letters.
resource tableRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The deployment package: Flex reads it with the identity.
resource packageRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(packageContainer.id, identity.id, roles.storageBlobDataOwner)
  scope: packageContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource hostRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in hostContainers: {
    name: guid(hostContainer[i].id, identity.id, roles.storageBlobDataOwner)
    scope: hostContainer[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
      principalId: identity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Event Grid writes undeliverable events here with the same identity (assigned to the system topic); the app lists,
// reads and marks them with it (python -m shared deadletter eventgrid, /api/deadletters/eventgrid).
resource deadLetterRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetters.id, identity.id, roles.storageBlobDataContributor)
  scope: deadLetters
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource vaultRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

output identityId string = identity.id
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output storageId string = storage.id
output storageName string = storage.name
output deploymentContainer string = deploymentContainer
output deadLetterContainer string = deadLetterContainer
output vaultName string = vault.name
output appInsightsId string = appInsights.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString

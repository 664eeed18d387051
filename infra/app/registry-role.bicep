// In the registry's resource group: the app's role on the Azure ML registry of the policy (`registry:`). It copies
// (shares) a dev version there, and reads the copy's type when another workspace deploys it (docs/azure.md).
param registryName string
param identityPrincipalId string

// AzureML Registry User: all actions on the registry's assets (create a model version, read it), get the registry.
var registryUserRole = '1823dd4f-9b8c-4ab6-ab4e-7397a3684615'

resource registry 'Microsoft.MachineLearningServices/registries@2024-04-01' existing = {
  name: registryName
}

resource registryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identityPrincipalId, registryUserRole)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', registryUserRole)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

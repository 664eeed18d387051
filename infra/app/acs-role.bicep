// The email sender role for the app's identity on the Communication Services resource (emailKind acs).
param acsName string
param principalId string

// "Communication and Email Service Owner". UNCONFIRMED: this GUID was seen in third-party templates only,
// not on the built-in roles page; check with `az role definition list --name "Communication and Email Service Owner"`.
var acsEmailRole = '09976791-48a7-449e-bb21-39d1a415f350'

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' existing = {
  name: acsName
}

resource role 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acs.id, principalId, acsEmailRole)
  scope: acs
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acsEmailRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

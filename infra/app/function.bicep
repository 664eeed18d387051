// The Function App on Flex Consumption, its app settings (the names the code reads), and App Service Authentication.
param environmentName string
param location string
param suffix string
param tags object
param identityId string
param identityClientId string
param identityPrincipalId string
param storageName string
param deploymentContainer string
param vaultName string
param appInsightsConnectionString string
param workspaceId string
param alwaysReadyInstances int
param maximumInstanceCount int
param instanceMemoryMB int
param emailKind string
param acsResourceId string
param emailSender string = ''
param acsEndpoint string = ''
param authClientId string
param approverObjectIds array
param lockDown bool

var wsParts = split(workspaceId, '/')
var kv = '@Microsoft.KeyVault(VaultName=${vaultName};SecretName='
var authSecretSetting = 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-mlops-reactor-${environmentName}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-mlops-reactor-${environmentName}-${suffix}'
  location: location
  tags: union(tags, { 'azd-service-name': 'reactor' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertMode: 'Optional'
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: {
        alwaysReady: alwaysReadyInstances > 0 ? [{ name: 'function:aml_events', instanceCount: alwaysReadyInstances }] : []
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: { name: 'python', version: '3.11' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // The host's storage, with the identity (no key): leases of the sweep timer, host keys.
        { name: 'AzureWebJobsStorage__accountName', value: storageName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'AZURE_SUBSCRIPTION_ID', value: wsParts[2] }
        { name: 'AZURE_RESOURCE_GROUP', value: wsParts[4] }
        { name: 'AZUREML_WORKSPACE_NAME', value: last(wsParts) }
        { name: 'REACTOR_MODE', value: 'azure' }
        { name: 'REACTOR_POLICY', value: 'policy.yaml' }
        { name: 'REACTOR_LEASE_SECONDS', value: '360' }
        { name: 'REACTOR_MAX_BODY_BYTES', value: '1048576' }
        { name: 'REACTOR_CACHE_ENTRIES', value: '4096' }
        { name: 'REACTOR_RETENTION_DAYS', value: '' } // empty: history kept forever; N >= 2: pruned daily past N days
        { name: 'REACTOR_STORAGE_TABLE_URL', value: storage.properties.primaryEndpoints.table }
        { name: 'REACTOR_TABLE_PREFIX', value: 'reactor' }
        { name: 'REACTOR_DEADLETTER_BLOB_URL', value: storage.properties.primaryEndpoints.blob }
        { name: 'REACTOR_DEADLETTER_CONTAINER', value: 'eventgrid-deadletter' } // core.bicep's deadLetterContainer
        { name: 'REACTOR_GITHUB_API_URL', value: 'https://api.github.com' }
        { name: 'REACTOR_ADO_URL', value: 'https://dev.azure.com' }
        { name: 'REACTOR_EMAIL_SENDER', value: emailSender }
        { name: 'REACTOR_ACS_ENDPOINT', value: acsEndpoint }
        { name: 'REACTOR_RECONCILE_SCHEDULE', value: '0 */5 * * * *' }
        // Secrets: Key Vault references resolved with the user-assigned identity (keyVaultReferenceIdentity).
        { name: 'REACTOR_GITHUB_TOKEN', value: '${kv}github-token)' }
        { name: 'REACTOR_TEAMS_WEBHOOK_ONCALL', value: '${kv}teams-webhook-oncall)' }
        { name: 'REACTOR_APPROVAL_LINK_KEY', value: '${kv}approval-link-key)' }
        { name: authSecretSetting, value: '${kv}auth-client-secret)' }
      ]
    }
  }
}

// Anonymous requests reach the app (Event Grid, CD reports, health); the approval page asks for sign-in in code.
// Without an app registration (authClientId empty) sign-in stays off and approvals answer 401.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: !empty(authClientId) }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: !empty(authClientId)
        registration: {
          clientId: authClientId
          clientSecretSettingName: authSecretSetting
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: ['api://${authClientId}']
          defaultAuthorizationPolicy: {
            allowedPrincipals: { identities: approverObjectIds }
          }
        }
      }
    }
    httpSettings: { requireHttps: true }
    login: { tokenStore: { enabled: true } }
  }
}

// Deployments use Entra tokens (azd, functions-action with OIDC): no basic-auth publishing.
resource scmBasic 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasic 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

module acsRole 'acs-role.bicep' = if (emailKind == 'acs' && !empty(acsResourceId)) {
  name: 'acs-role'
  scope: resourceGroup(split(acsResourceId, '/')[2], split(acsResourceId, '/')[4])
  params: {
    acsName: last(split(acsResourceId, '/'))
    principalId: identityPrincipalId
  }
}

output appId string = app.id
output appName string = app.name
output hostName string = app.properties.defaultHostName
output lockedDown bool = lockDown

// Alert rules for the automation itself, and the workbook of the loop (infra/workbook.json).
param environmentName string
param location string
param tags object
param appInsightsId string
param functionAppId string
param alertEmails array
param quietHours int

var rules = [
  {
    name: 'dead-letters'
    description: 'An event or an effect was dead-lettered by the reactor (docs/runbook.md#dead-letters).'
    severity: 2
    window: 'PT15M'
    frequency: 'PT5M'
    query: 'customMetrics | where name == "reactor.dead_letters" | summarize n = sum(valueSum)'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'no-events'
    description: 'No workspace event reached the app for ${quietHours} h (docs/runbook.md#no-events).'
    severity: 3
    window: 'PT${quietHours}H'
    frequency: 'PT1H'
    query: 'customMetrics | where name == "reactor.events" | summarize n = sum(valueSum)'
    operator: 'LessThan'
    threshold: 1
  }
  {
    name: 'function-failures'
    description: 'Function executions failed (500s make Event Grid redeliver; docs/runbook.md#function-failures).'
    severity: 2
    window: 'PT15M'
    frequency: 'PT5M'
    query: 'requests | where success == false | summarize n = count()'
    operator: 'GreaterThan'
    threshold: 5
  }
  {
    name: 'stuck-intents'
    description: 'The sweep found effects left pending by a stopped delivery (docs/runbook.md#stuck-intents).'
    severity: 3
    window: 'PT30M'
    frequency: 'PT15M'
    query: 'customMetrics | where name == "reactor.stuck_intents" | summarize n = sum(valueSum)'
    operator: 'GreaterThan'
    threshold: 0
  }
]

resource group 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-mlops-reactor-${environmentName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('reactor${environmentName}', 12)
    enabled: true
    emailReceivers: [for (email, i) in alertEmails: { name: 'oncall-${i}', emailAddress: email, useCommonAlertSchema: true }]
  }
}

resource rule 'Microsoft.Insights/scheduledQueryRules@2022-06-15' = [
  for r in rules: {
    name: 'alert-mlops-reactor-${environmentName}-${r.name}'
    location: location
    tags: tags
    properties: {
      displayName: 'MLOps Reactor ${environmentName}: ${r.name}'
      description: r.description
      severity: r.severity
      enabled: true
      scopes: [appInsightsId]
      evaluationFrequency: r.frequency
      windowSize: r.window
      criteria: {
        allOf: [
          {
            query: r.query
            timeAggregation: 'Total'
            metricMeasureColumn: 'n'
            operator: r.operator
            threshold: r.threshold
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: true
      actions: { actionGroups: [group.id] }
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2022-04-01' = {
  name: guid(resourceGroup().id, 'mlops-reactor-workbook', environmentName)
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'MLOps Reactor (${environmentName})'
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: loadTextContent('../workbook.json')
  }
}

output functionAppId string = functionAppId

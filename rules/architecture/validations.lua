-- 4.3 SLA constraint checks: combinations of inputs that the chosen architecture cannot
-- meet, each with a message that says what to change. `expr` must hold; `message` is
-- evaluated only when it does not. Errors reject the input; warnings flag a risk.

local F = include "lib/figures.lua"
local D = F.double

local FLOOR = F.per_framework("p99_min")   -- 2.3: go-zero 12, kratos 22 ms
local CEIL = F.per_framework("p99_max")    -- 2.3: go-zero 18, kratos 35 ms
local BAND = F.band()                      -- '12–18' or '22–35'

---------------------------------------------------------------------------------------------
-- Errors: the SLA cannot be met

validation "p99-below-framework" {
  severity = "error",
  description = "2.3: the P99 target is below the best the chosen framework was measured at",
  expr = "sla.p99_ms >= " .. FLOOR,
  message = [[ 'P99 target ' + string(sla.p99_ms) + ' ms is below ' + framework + "'s measured " + ]]
      .. BAND .. [[ + ' ms (2.3): relax the target to ' + string(]] .. CEIL .. [[) + ' ms (' + string(]]
      .. FLOOR .. [[) + ' ms at the very least), or serve the hot path from a cache at the gateway'
      + ' and keep this SLA for the rest' ]],
}

validation "recovery-below-framework" {
  severity = "error",
  description = "2.3: the recovery target is faster than the framework's measured self-healing",
  expr = [[ sla.recovery_s >= expected_recovery_s ]],
  message = [[ 'Recovery target ' + string(sla.recovery_s) + ' s is faster than ' + framework
      + "'s measured self-healing of " + string(expected_recovery_s)
      + ' s at 5k QPS fault injection (2.3): relax it to ' + string(expected_recovery_s)
      + ' s, or keep hot standby replicas behind the gateway so failover does not wait for self-healing' ]],
}

validation "strong-consistency-event-sourced" {
  severity = "error",
  description = "2.1: event-sourced subdomains are eventually consistent by construction",
  expr = [[ !(sla.consistency == 'strong' && consistency == 'event_sourcing') ]],
  message = [[ 'Strong consistency was asked of ' + string(service_count)
      + ' event-sourced subdomains (2.1), whose read models are only eventually consistent:'
      + ' accept eventual consistency, or keep the data that must be strongly consistent inside one subdomain' ]],
}

validation "availability-needs-self-healing" {
  severity = "error",
  description = "2.3/2.4: 99.99 % and above needs replicas that an orchestrator restarts",
  expr = "sla.availability < " .. D(F.availability.self_healing) .. " || deployment.startsWith('kubernetes')",
  message = [[ 'Availability ' + string(sla.availability) + '% needs ' + string(resilience.replicas)
      + ' replicas per service that restart themselves (2.3 self-healing), which a ' + deployment
      + ' deployment does not give: run on Kubernetes, or relax the target below ]]
      .. D(F.availability.self_healing) .. [[%' ]],
}

validation "release-gate-pprof" {
  severity = "error",
  description = "2.2 mermaid: a release without CI-collected pprof is blocked (DevOps L1)",
  expr = [[ service_count == 1 || devops_level >= 2 ]],
  message = [[ string(service_count) + ' services at DevOps L1: the 2.2 CI gate blocks every release whose'
      + ' pprof profiles are not collected automatically; collect them in CI first'
      + ' (go test -cpuprofile -blockprofile, with thresholds), or stay one deployable' ]],
}

---------------------------------------------------------------------------------------------
-- Warnings: it may hold, but the figures say it is at risk

validation "p99-inside-framework-band" {
  severity = "warning",
  description = "2.3: the P99 target lies inside the framework's measured band",
  expr = "sla.p99_ms < " .. FLOOR .. " || sla.p99_ms >= " .. CEIL,
  message = [[ 'P99 target ' + string(sla.p99_ms) + ' ms lies inside ' + framework + "'s measured " + ]]
      .. BAND .. [[ + ' ms band (2.3), so it holds only on good days: set it to ' + string(]] .. CEIL
      .. [[) + ' ms or more, or load-test at ' + string(system.qps) + ' QPS before committing to it' ]],
}

validation "strong-consistency-latency" {
  severity = "warning",
  description = "2.3: a distributed transaction costs at least two synchronous calls",
  expr = [[ consistency != 'distributed_tx' || sla.p99_ms >= 2.0 * expected_p99_ms ]],
  message = [[ 'Strong consistency across ' + string(service_count)
      + ' services makes each write at least 2 synchronous calls (2 x ' + string(expected_p99_ms)
      + ' ms on ' + framework + ', 2.3): a P99 target of ' + string(sla.p99_ms)
      + ' ms will not hold for writes; relax to eventual consistency or exempt writes from the target' ]],
}

validation "devops-maturity-overstated" {
  severity = "warning",
  description = "2.2: the declared DevOps maturity is above what the pipeline shows",
  expr = [[ team.devops_maturity <= devops_level ]],
  message = [[ 'Declared DevOps maturity L' + string(team.devops_maturity) + ' but the evidence says L'
      + string(devops_level) + ' (2.2: pprof ' + team.pprof + ', goroutine monitoring '
      + team.goroutine_monitoring + '); the decisions use L' + string(devops_level)
      + ': automate pprof in CI and tie goroutine dumps to trace IDs, or correct the declaration' ]],
}

validation "team-per-service" {
  severity = "warning",
  description = "ch. 1: each service has its own small team",
  expr = "service_count == 1 || team.size >= " .. F.engineers_per_service .. " * service_count",
  message = [[ string(service_count) + ' services for ' + string(team.size)
      + ' engineers: ch. 1 gives each service its own small team (at least ]] .. F.engineers_per_service
      .. [[ people here); merge domains into fewer services or grow the team' ]],
}

validation "concurrency-risk-high" {
  severity = "warning",
  description = "2.2: the concurrency risk score is high",
  expr = "concurrency_risk < " .. F.team.risk_warning,
  message = [[ 'Concurrency risk ' + string(concurrency_risk) + '/16 (2.2): goroutine leaks and blocked'
      + ' channels are likely; adopt ' + observability.join(', ') + ' before splitting further' ]],
}

validation "edge-needs-affinity" {
  severity = "warning",
  description = "2.4: edge nodes are reachable only through node affinity",
  expr = [[ platform.edge_nodes == 0 || !platform.kubernetes || platform.node_affinity ]],
  message = [[ string(platform.edge_nodes) + ' edge nodes, but the cluster has no node affinity, so pods'
      + ' cannot be pinned to them (2.4) and the services deploy as plain kubernetes: label the nodes'
      + ' node-role.kubernetes.io/edge and use required node affinity' ]],
}

validation "services-stage-oversplit" {
  severity = "warning",
  description = "2.1/2.5: already split into services, but sized as a system of modules",
  expr = [[ current.stage != 'services' || domain_model != 'module' ]],
  message = [[ 'Already split into services, but 2.1 sizes this as a ' + business_scale
      + ' system of modules: consolidate into a modular monolith (2.5 backwards),'
      + ' or check the QPS, data growth and domains given' ]],
}

-- The architecture decision graph of the origin document (chapters 2 and 4 of
-- shared/seed/architecture-decision-engine.zh.txt): from a description of a Go system,
-- its team, its SLA, its platform and its current stage, 22 decisions that choose a
-- framework, a service split, storage, consistency, resilience, observability,
-- deployment and the next evolution step, and draw the resulting topology.
--
-- Inputs are the schema's variables (system, team, sla, platform, current); decisions
-- read each other by name. validations.lua holds the SLA checks (4.3), tests.lua the tests.
--
-- Rules of a decision are listed in the order they are tried: none sets a priority, so
-- declaration order decides. Every figure comes from lib/figures.lua, which says where in
-- the document it is (or that it is our reading of a blank or vague passage).

schema "architecture.schema.json"

local F = include "lib/figures.lua"
local D, S = F.double, F.str

-- Build a decision from a header table and a list of rules (for rules made in loops).
local function decide(name, header, rules)
  for _, r in ipairs(rules) do header[#header + 1] = r end
  decision(name)(header)
end

---------------------------------------------------------------------------------------------
-- 2.1 Business scale: QPS, daily data growth, domain granularity

local M, L = F.scale.medium, F.scale.large

decision "business_scale" {
  type = "string",
  hit = "first",
  default = [[ 'small' ]],   -- 2.1: 50–500 QPS, 10 MB–1 GB/day, one module
  description = "2.1: small | medium | large; the largest of the three indicators wins",
  rule "scale-large" {
    -- 2.1: large = independent subdomains + event sourcing; QPS/data bounds are our reading
    when = "system.qps > " .. L.qps .. " || system.daily_data_gb > " .. D(L.daily_data_gb)
        .. " || system.domain == " .. S(L.domain),
    value = [[ 'large' ]],
    tags = {"2.1", "scale"},
  },
  rule "scale-medium" {
    -- 2.1: medium = QPS > 500, > 1 GB/day, bounded contexts
    when = "system.qps > " .. M.qps .. " || system.daily_data_gb > " .. D(M.daily_data_gb)
        .. " || system.domain == " .. S(M.domain),
    value = [[ 'medium' ]],
    tags = {"2.1", "scale"},
  },
}

---------------------------------------------------------------------------------------------
-- 2.2 Team capability: Go concurrency understanding and DevOps maturity

decision "team_level" {
  type = "int",
  default = [[ 1 ]],
  description = "2.2: Go concurrency level L1–L3, from the self-assessment checked against evidence",
  rule "team-l3" {
    -- 2.2: leak detection, channel-blocking analysis, a steady NumGoroutine baseline;
    -- a goroutine count growing > 50 %/min sends the team back to an L2 review (2.2 mermaid)
    when = "team.go_concurrency >= 3 && team.leak_detection && team.block_profiling"
        .. " && team.goroutine_baseline_deviation_pct <= " .. D(F.team.baseline_deviation_pct)
        .. " && team.goroutine_growth_pct_per_min <= " .. D(F.team.growth_review_pct_per_min),
    value = 3,
  },
  rule "team-l2" {
    -- 2.2: at least one of the two analyses is in place
    when = [[ team.go_concurrency >= 2 && (team.leak_detection || team.block_profiling) ]],
    value = 2,
  },
}

decision "devops_level" {
  type = "int",
  default = [[ 1 ]],   -- 2.2 mermaid: pprof not collected by CI → "标记DevOps L1,阻断发布"
  description = "2.2: DevOps maturity L1–L3 from pprof integration and goroutine monitoring (not the declared level)",
  rule "devops-l3" {
    -- 2.2 table, L3: CI collects pprof with threshold alerts; goroutines tied to trace IDs, auto dump on timeout
    when = [[ team.pprof == 'ci' && team.goroutine_monitoring == 'trace_dump' ]],
    value = 3,
  },
  rule "devops-l2" {
    -- 2.2: CI collects pprof, goroutines are only counted
    when = [[ team.pprof == 'ci' ]],
    value = 2,
  },
}

-- 2.2 / 3.1: a risk score for goroutine leaks and blocked channels, 0–16 points.
local RISKS = {
  { id = "risk-no-leak-detection", points = 3, why = "2.2: no goroutine-leak detection",
    when = [[ !team.leak_detection ]] },
  { id = "risk-no-block-profiling", points = 2, why = "2.2: channel blocking never analysed (-blockprofile)",
    when = [[ !team.block_profiling ]] },
  { id = "risk-baseline-deviation", points = 2, why = "2.2: NumGoroutine peak far off its baseline",
    when = "team.goroutine_baseline_deviation_pct > " .. D(F.team.baseline_deviation_pct) },
  { id = "risk-goroutine-growth", points = 3, why = "2.2 mermaid: goroutine growth > 50 %/min",
    when = "team.goroutine_growth_pct_per_min > " .. D(F.team.growth_review_pct_per_min) },
  { id = "risk-l1-under-load", points = 3, why = "2.2 + 2.1: an L1 team running more than small-system load",
    when = "team_level == 1 && system.qps > " .. M.qps },
  { id = "risk-no-pprof", points = 2, why = "2.2: no pprof at all",
    when = [[ team.pprof == 'none' ]] },
  { id = "risk-no-goroutine-monitoring", points = 1, why = "2.2: goroutines not even counted",
    when = [[ team.goroutine_monitoring == 'none' ]] },
}
local risk_rules = {}
for _, r in ipairs(RISKS) do
  risk_rules[#risk_rules + 1] = rule(r.id) { when = r.when, value = r.points, description = r.why }
end
decide("concurrency_risk", {
  type = "int",
  hit = "collect",
  aggregate = "sum",
  description = "2.2/3.1: concurrency risk points (0 = none, 16 = all); >= 8 is a warning",
}, risk_rules)

---------------------------------------------------------------------------------------------
-- 2.1 Domain model, service count and storage

decision "domain_model" {
  type = "string",
  default = [[ 'module' ]],   -- 2.1 small: one deployable, split into modules
  description = "2.1: service split granularity: module | bounded_context | subdomain",
  rule "split-subdomains" {
    -- 2.1 large: independent subdomains with event sourcing; not handed to an L1 team (2.2)
    when = [[ business_scale == 'large' && team_level >= 2 && size(system.domains) >= 2 ]],
    value = [[ 'subdomain' ]],
  },
  rule "split-contexts" {
    -- 2.1 medium: one service per bounded context (2.1 flow: 划分一致性边界)
    when = [[ business_scale != 'small' && size(system.domains) >= 2 ]],
    value = [[ 'bounded_context' ]],
  },
}

decision "service_count" {
  type = "int",
  default = [[ 1 ]],
  description = "2.1: deployable services: one per domain once split, else one",
  rule "services-per-domain" {
    when = [[ domain_model != 'module' ]],
    value = [[ size(system.domains) ]],
  },
}

decision "data_tier" {
  type = "string",
  default = [[ 'single_sql' ]],   -- 2.1 small: one SQL database, a schema per module
  description = "2.1: storage from daily data growth (日增数据量决定存储选型) and the split",
  rule "data-event-store" {
    -- 2.1 large: event sourcing: an append-only event store per subdomain, projections for reads
    when = [[ domain_model == 'subdomain' ]],
    value = [[ 'event_store' ]],
  },
  rule "data-sharded" {
    -- reading of 2.1 large: past 100 GB/day, shard
    when = "system.daily_data_gb > " .. D(L.daily_data_gb),
    value = [[ 'sharded_sql' ]],
  },
  rule "data-per-service" {
    -- ch. 1: services share no database
    when = [[ service_count > 1 ]],
    value = [[ 'sql_per_service' ]],
  },
}

---------------------------------------------------------------------------------------------
-- 2.3 SLA → framework, RPC, discovery, consistency, resilience

local GZ, KR = F.by_name["go-zero"], F.by_name["kratos"]

decision "framework" {
  type = "string",
  default = S(GZ.name),
  description = "2.3: go-zero unless the system is large, the SLA leaves kratos room and the team can run it",
  rule "fw-latency" {
    -- 2.3: kratos measures P99 22–35 ms; only a target at or above its worst case lets it in
    when = "sla.p99_ms < " .. D(KR.p99_max),
    value = S(GZ.name),
  },
  rule "fw-recovery" {
    -- 2.3: self-healing at 5k QPS fault injection: go-zero 1.3 s, kratos 4.7 s
    when = "sla.recovery_s < " .. D(KR.recovery_s),
    value = S(GZ.name),
  },
  rule "fw-operability" {
    -- 2.3: go-zero retries, breaks and sheds load by itself; kratos needs resilience wired by hand
    when = [[ team_level == 1 || devops_level == 1 ]],
    value = S(GZ.name),
  },
  rule "fw-contracts" {
    -- 2.3: kratos has etcd + gRPC resolver built in; 3.3 protobuf-first contracts for many subdomains
    when = [[ domain_model == 'subdomain' ]],
    value = S(KR.name),
  },
}

decision "rpc_style" {
  type = "string",
  description = "2.3/3.3: in_process | zrpc (go-zero) | grpc (kratos, gRPC-Gateway for HTTP)",
  rule "rpc-in-process" {
    -- 2.5: a modular monolith calls its modules in process; HTTP only at the edge
    when = [[ service_count == 1 ]],
    value = [[ 'in_process' ]],
  },
  rule "rpc-zrpc" { when = "framework == " .. S(GZ.name), value = S(GZ.rpc) },
  rule "rpc-grpc" { when = "framework == " .. S(KR.name), value = S(KR.rpc) },
}

decision "service_discovery" {
  type = "string",
  default = [[ 'etcd' ]],   -- 2.3: both frameworks support etcd
  description = "2.3: none | etcd | nacos",
  rule "sd-none" { when = [[ service_count == 1 ]], value = [[ 'none' ]] },
  rule "sd-kratos-etcd" {
    -- 2.3: kratos integrates etcd and a gRPC resolver natively
    when = "framework == " .. S(KR.name),
    value = [[ 'etcd' ]],
  },
  rule "sd-nacos" {
    -- 2.3: go-zero supports Nacos/etcd; reuse a Nacos the platform already runs
    when = [[ platform.registry == 'nacos' ]],
    value = [[ 'nacos' ]],
  },
}

decision "consistency" {
  type = "string",
  default = [[ 'message_queue' ]],   -- reading: eventual consistency that needs ACKs goes through a durable queue
  description = "2.3: local_acid | event_sourcing | distributed_tx | redis_pubsub | message_queue",
  rule "cons-local" {
    when = [[ service_count == 1 ]],   -- one database: local transactions give strong consistency for free
    value = [[ 'local_acid' ]],
  },
  rule "cons-event-sourcing" {
    when = [[ domain_model == 'subdomain' ]],   -- 2.1 large: subdomains + event sourcing
    value = [[ 'event_sourcing' ]],
  },
  rule "cons-distributed-tx" {
    when = [[ sla.consistency == 'strong' ]],   -- strong across services: TCC / two-phase commit (reading)
    value = [[ 'distributed_tx' ]],
  },
  rule "cons-redis-pubsub" {
    -- 2.3: go-zero Redis Pub/Sub: second-level eventual consistency, no ACK; fine at medium scale
    when = "business_scale == 'medium' && framework == " .. S(GZ.name),
    value = [[ 'redis_pubsub' ]],
  },
}

-- Resilience settings: the breaker comes from the framework (2.3), the rest from the SLA.
local AV = F.availability
local REPLICAS = "(sla.availability >= " .. D(AV.self_healing) .. " ? 3 : (sla.availability >= "
    .. D(AV.ha) .. " ? 2 : 1))"
local RETRIES = "(sla.availability >= " .. D(AV.self_healing) .. " ? 2 : 1)"
local BUDGET = "sla.p99_ms * " .. D(F.timeout.factor)
local TIMEOUT = "(" .. BUDGET .. " < " .. D(F.timeout.floor_ms) .. " ? " .. F.timeout.floor_ms
    .. " : int(" .. BUDGET .. "))"
local resilience_rules = {}
for _, fw in ipairs(F.frameworks) do
  resilience_rules[#resilience_rules + 1] = rule("resilience-" .. fw.name) {
    when = "framework == " .. S(fw.name),
    value = "Resilience{retries: " .. RETRIES .. ", timeout_ms: " .. TIMEOUT
        .. ", breaker: " .. S(fw.breaker) .. ", replicas: " .. REPLICAS .. "}",
    description = "2.3: " .. fw.name .. " breaker is " .. fw.breaker,
  }
end
decide("resilience", {
  type = "Resilience",
  description = "2.3: retries, call timeout (3x P99, >= 100 ms), breaker source, replicas per service",
}, resilience_rules)

-- 2.3: the chosen framework's figures.
local p99_rules, recovery_rules = {}, {}
for _, fw in ipairs(F.frameworks) do
  p99_rules[#p99_rules + 1] = rule("p99-" .. fw.name) {
    when = "framework == " .. S(fw.name),
    value = fw.p99_mid,   -- 2.3: the middle of the measured band (go-zero 12–18, kratos 22–35 ms)
  }
  recovery_rules[#recovery_rules + 1] = rule("recovery-" .. fw.name) {
    when = "framework == " .. S(fw.name),
    value = fw.recovery_s,   -- 2.3: go-zero 1.3 s, kratos 4.7 s at 5k QPS fault injection
  }
end
decide("expected_p99_ms", { type = "double", description = "2.3: P99 the framework is measured at (band middle)" },
  p99_rules)
decide("expected_recovery_s", { type = "double", description = "2.3: self-healing time measured at 5k QPS" },
  recovery_rules)

---------------------------------------------------------------------------------------------
-- 2.2 / 3.2 / 4.3 Observability: every practice that applies, in this order

local PRACTICES = {
  { id = "obs-prometheus", item = "prometheus_expvar",
    why = "4.3: runtime metrics through expvar and a Prometheus exporter, always" },
  { id = "obs-pprof-endpoint", item = "pprof_endpoint", when = [[ devops_level == 1 ]],
    why = "2.2 L1: pprof by hand, so expose the endpoint" },
  { id = "obs-pprof-ci", item = "pprof_ci_gate", when = [[ devops_level >= 2 || service_count > 1 ]],
    why = "2.2: CI collects CPU/mutex/block profiles and blocks a release without them" },
  { id = "obs-leak-tests", item = "goroutine_leak_tests",
    when = "!team.leak_detection || team.goroutine_baseline_deviation_pct > " .. D(F.team.baseline_deviation_pct),
    why = "2.2/3.1: NumGoroutine before/after each test against a baseline" },
  { id = "obs-block-profile", item = "block_profile", when = [[ !team.block_profiling ]],
    why = "2.2: -blockprofile shows channel and lock misuse" },
  { id = "obs-goroutine-dump", item = "goroutine_dump_on_timeout",
    when = "devops_level == 3 || business_scale == 'large' || team.goroutine_growth_pct_per_min > "
        .. D(F.team.growth_review_pct_per_min),
    why = "2.2 L3: goroutines tied to trace IDs, dumped on timeout" },
  { id = "obs-tracing", item = "otel_jaeger_tracing", when = [[ service_count > 1 ]],
    why = "3.2: OpenTelemetry context propagation, exported to Jaeger" },
}
local practice_rules = {}
for _, p in ipairs(PRACTICES) do
  practice_rules[#practice_rules + 1] = rule(p.id) { when = p.when, value = S(p.item), description = p.why }
end
decide("observability", {
  type = "list(string)",
  hit = "collect",
  description = "2.2/3.2/4.3: observability practices to adopt",
}, practice_rules)

---------------------------------------------------------------------------------------------
-- 2.4 Deployment topology

decision "deployment" {
  type = "string",
  default = [[ 'vm' ]],   -- static binary under systemd
  description = "2.4: kubernetes_edge | kubernetes | edge_binary | vm",
  rule "deploy-k8s-edge" {
    -- 2.4: edge nodes can be targeted only through node affinity
    when = [[ platform.kubernetes && platform.edge_nodes > 0 && platform.node_affinity ]],
    value = [[ 'kubernetes_edge' ]],
  },
  rule "deploy-k8s" { when = [[ platform.kubernetes ]], value = [[ 'kubernetes' ]] },
  rule "deploy-edge-binary" {
    -- 2.4/ch. 1: a static Go binary needs nothing on the edge host
    when = [[ platform.edge_nodes > 0 ]],
    value = [[ 'edge_binary' ]],
  },
}

-- The cases exclude each other; `unique` turns an overlap (a rule edited wrongly) into an error.
decision "node_placement" {
  type = "string",
  hit = "unique",
  description = "2.4: node affinity and taint tolerations",
  rule "place-none" {
    when = [[ !deployment.startsWith('kubernetes') ]],
    value = [[ 'none' ]],
  },
  rule "place-edge-toleration" {
    -- 2.4: required affinity to node-role.kubernetes.io/edge + toleration dedicated=go-app:NoSchedule
    when = [[ deployment == 'kubernetes_edge' && platform.taints ]],
    value = [[ 'edge_affinity_toleration' ]],
  },
  rule "place-edge-affinity" {
    when = [[ deployment == 'kubernetes_edge' && !platform.taints ]],
    value = [[ 'edge_affinity' ]],
  },
  rule "place-dedicated" {
    -- 2.4: a dedicated=go-app taint keeps general workloads off the service's nodes
    when = [[ deployment == 'kubernetes' && platform.taints ]],
    value = [[ 'dedicated_toleration' ]],
  },
  rule "place-default" {
    when = [[ deployment == 'kubernetes' && !platform.taints ]],
    value = [[ 'default_scheduling' ]],
  },
}

decision "image_build" {
  type = "string",
  default = [[ 'multistage_alpine' ]],   -- 2.4: golang:1.22-alpine 356 MB → alpine:3.19 + binary 7.2 MB
  description = "2.4: static_binary | multistage_scratch | multistage_alpine",
  rule "image-none" {
    when = [[ deployment == 'vm' || deployment == 'edge_binary' ]],
    value = [[ 'static_binary' ]],   -- CGO_ENABLED=0 go build, no image at all
  },
  rule "image-scratch-edge" {
    when = [[ deployment == 'kubernetes_edge' ]],   -- 2.4: scratch, smallest pull over edge links
    value = [[ 'multistage_scratch' ]],
  },
  rule "image-scratch-l3" {
    when = [[ devops_level == 3 ]],   -- no shell needed: profiles and dumps come from CI and traces
    value = [[ 'multistage_scratch' ]],
  },
}

---------------------------------------------------------------------------------------------
-- 2.5 Evolution path: monolith → modular (go:embed) → services (plugin)

decision "evolution_step" {
  type = "string",
  default = [[ 'stay' ]],
  description = "2.5: the next stage: modular | services | stay | consolidate",
  rule "evo-consolidate" {
    when = [[ current.stage == 'services' && domain_model == 'module' ]],   -- split further than 2.1 sizes it
    value = [[ 'consolidate' ]],
  },
  rule "evo-embed" {
    -- 2.5: a monolith first becomes modular (go:embed assets, module boundaries), whatever the target
    when = [[ current.stage == 'monolith' ]],
    value = [[ 'modular' ]],
  },
  rule "evo-plugin" {
    -- 2.5: modules behind plugin interfaces, then compiled and deployed as services
    when = [[ current.stage == 'modular' && domain_model != 'module' ]],
    value = [[ 'services' ]],
  },
}

---------------------------------------------------------------------------------------------
-- 4.2 Topology and its Mermaid diagram

local CLIENTS = [[ Edge{from: 'clients', to: ]]
local HTTP_IN = [[ label: 'HTTP ' + string(system.qps) + ' qps'} ]]

decision "topology" {
  type = "list(Edge)",
  description = "4.2: gateway → services → stores, with the traffic on each edge",
  rule "topo-single" {
    when = [[ service_count == 1 ]],
    value = "[" .. CLIENTS .. "system.name, " .. HTTP_IN .. ","
        .. [[ Edge{from: system.name, to: system.name + '_db', label: data_tier}] ]],
  },
  rule "topo-split" {
    value = "[" .. CLIENTS .. "'gateway', " .. HTTP_IN .. "]"
        -- each service gets an equal share of the traffic
        .. [[ + system.domains.map(d, Edge{from: 'gateway', to: d,
                label: rpc_style + ' ' + string(system.qps / service_count) + ' qps'})
             + system.domains.map(d, Edge{from: d, to: d + '_db', label: data_tier})
             + system.domains.map(d, Edge{from: d,
                to: consistency == 'distributed_tx' ? 'tx_coordinator' : 'event_bus',
                label: consistency}) ]],
  },
}

decision "diagram" {
  type = "string",
  description = "4.2: the topology as a Mermaid flowchart",
  rule "diagram-mermaid" {
    value = [[ 'graph LR\n' + topology.map(e, '  ' + e.from + ' -->|' + e.label + '| ' + e.to).join('\n') ]],
  },
}

---------------------------------------------------------------------------------------------
-- 4.4 The recommendation, one line that traces the main decisions

decision "recommendation" {
  type = "string",
  description = "4.4: summary of the decisions",
  rule "summary" {
    value = [[
      business_scale + ' system: ' + framework
      + ' (expected P99 ' + string(expected_p99_ms) + ' ms, recovery ' + string(expected_recovery_s) + ' s), '
      + (service_count == 1 ? 'one deployable of modules'
                            : string(service_count) + ' services by ' + domain_model)
      + ', ' + rpc_style + ' calls, discovery ' + service_discovery
      + ', ' + consistency + ' consistency on ' + data_tier
      + '; ' + string(resilience.replicas) + ' replica(s) each, ' + resilience.breaker + ' breaker'
      + '; deploy ' + deployment + ' (' + image_build + ', placement ' + node_placement + ')'
      + '; next step from ' + current.stage + ': ' + evolution_step
      + '; team L' + string(team_level) + ', DevOps L' + string(devops_level)
      + ', concurrency risk ' + string(concurrency_risk) + '/16.'
    ]],
  },
}

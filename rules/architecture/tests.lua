-- Tests of the architecture decision graph: the four example contexts, then inline
-- contexts made from BASE with a few fields changed, one contradiction or edge case each.
-- Every expected value was traced by hand through architecture.lua and validations.lua.

-- BASE is examples/medium.json: a medium system that passes every validation.
-- Keep the two in step.
local BASE = {
  system = { name = "payments", qps = 3000, daily_data_gb = 20.0, domain = "bounded_context",
             domains = { "order", "payment", "inventory" } },
  team = { size = 12, go_concurrency = 2, leak_detection = true, block_profiling = true,
           goroutine_baseline_deviation_pct = 15.0, goroutine_growth_pct_per_min = 10.0,
           devops_maturity = 2, pprof = "ci", goroutine_monitoring = "count" },
  sla = { p99_ms = 25.0, availability = 99.95, consistency = "eventual", recovery_s = 3.0 },
  platform = { kubernetes = true, node_affinity = true, taints = true, edge_nodes = 0, registry = "etcd" },
  current = { stage = "modular" },
}

-- BASE with some fields replaced: with { sla = { p99_ms = 10.0 } }. Lists are replaced whole.
local function with(changes)
  local ctx = {}
  for var, fields in pairs(BASE) do
    ctx[var] = {}
    for k, v in pairs(fields) do ctx[var][k] = v end
  end
  for var, fields in pairs(changes) do
    for k, v in pairs(fields) do ctx[var][k] = v end
  end
  return ctx
end

---------------------------------------------------------------------------------------------
-- The examples

test "small system: a modular monolith on go-zero, on a VM" {
  context = "examples/small.json",
  expect = {
    business_scale = "small", team_level = 2, devops_level = 1, concurrency_risk = 2,
    domain_model = "module", service_count = 1, data_tier = "single_sql",
    framework = "go-zero", rpc_style = "in_process", service_discovery = "none",
    consistency = "local_acid",
    resilience = { retries = 1, timeout_ms = 150, breaker = "builtin", replicas = 2 },
    expected_p99_ms = 15.0, expected_recovery_s = 1.3,
    observability = { "prometheus_expvar", "pprof_endpoint", "block_profile" },
    deployment = "vm", node_placement = "none", image_build = "static_binary",
    evolution_step = "modular",
    topology = {
      { from = "clients", to = "shop", label = "HTTP 300 qps" },
      { from = "shop", to = "shop_db", label = "single_sql" },
    },
    diagram = "graph LR\n  clients -->|HTTP 300 qps| shop\n  shop -->|single_sql| shop_db",
    recommendation = "small system: go-zero (expected P99 15 ms, recovery 1.3 s), one deployable of modules,"
      .. " in_process calls, discovery none, local_acid consistency on single_sql;"
      .. " 2 replica(s) each, builtin breaker; deploy vm (static_binary, placement none);"
      .. " next step from monolith: modular; team L2, DevOps L1, concurrency risk 2/16.",
  },
  rules = {
    business_scale = "default", team_level = "team-l2", devops_level = "default",
    domain_model = "default", framework = "fw-operability", consistency = "cons-local",
    node_placement = "place-none", evolution_step = "evo-embed",
  },
  violations = {},
}

test "medium system: three go-zero services over Redis pub/sub on Kubernetes" {
  context = "examples/medium.json",
  expect = {
    business_scale = "medium", team_level = 2, devops_level = 2, concurrency_risk = 0,
    domain_model = "bounded_context", service_count = 3, data_tier = "sql_per_service",
    framework = "go-zero", rpc_style = "zrpc", service_discovery = "etcd",
    consistency = "redis_pubsub",
    resilience = { retries = 1, timeout_ms = 100, breaker = "builtin", replicas = 2 },
    expected_p99_ms = 15.0, expected_recovery_s = 1.3,
    observability = { "prometheus_expvar", "pprof_ci_gate", "otel_jaeger_tracing" },
    deployment = "kubernetes", node_placement = "dedicated_toleration", image_build = "multistage_alpine",
    evolution_step = "services",
    recommendation = "medium system: go-zero (expected P99 15 ms, recovery 1.3 s), 3 services by bounded_context,"
      .. " zrpc calls, discovery etcd, redis_pubsub consistency on sql_per_service;"
      .. " 2 replica(s) each, builtin breaker; deploy kubernetes (multistage_alpine, placement dedicated_toleration);"
      .. " next step from modular: services; team L2, DevOps L2, concurrency risk 0/16.",
  },
  rules = {
    business_scale = "scale-medium", devops_level = "devops-l2", domain_model = "split-contexts",
    service_count = "services-per-domain", framework = "fw-latency", service_discovery = "default",
    consistency = "cons-redis-pubsub", image_build = "default", evolution_step = "evo-plugin",
  },
  violations = {},
}

test "medium system: topology and its Mermaid diagram" {
  context = "examples/medium.json",
  expect = {
    topology = {
      { from = "clients", to = "gateway", label = "HTTP 3000 qps" },
      { from = "gateway", to = "order", label = "zrpc 1000 qps" },
      { from = "gateway", to = "payment", label = "zrpc 1000 qps" },
      { from = "gateway", to = "inventory", label = "zrpc 1000 qps" },
      { from = "order", to = "order_db", label = "sql_per_service" },
      { from = "payment", to = "payment_db", label = "sql_per_service" },
      { from = "inventory", to = "inventory_db", label = "sql_per_service" },
      { from = "order", to = "event_bus", label = "redis_pubsub" },
      { from = "payment", to = "event_bus", label = "redis_pubsub" },
      { from = "inventory", to = "event_bus", label = "redis_pubsub" },
    },
    diagram = "graph LR\n"
      .. "  clients -->|HTTP 3000 qps| gateway\n"
      .. "  gateway -->|zrpc 1000 qps| order\n"
      .. "  gateway -->|zrpc 1000 qps| payment\n"
      .. "  gateway -->|zrpc 1000 qps| inventory\n"
      .. "  order -->|sql_per_service| order_db\n"
      .. "  payment -->|sql_per_service| payment_db\n"
      .. "  inventory -->|sql_per_service| inventory_db\n"
      .. "  order -->|redis_pubsub| event_bus\n"
      .. "  payment -->|redis_pubsub| event_bus\n"
      .. "  inventory -->|redis_pubsub| event_bus",
  },
  rules = { topology = "topo-split", diagram = "diagram-mermaid" },
}

test "large system: event-sourced kratos subdomains on edge Kubernetes" {
  context = "examples/large.json",
  expect = {
    business_scale = "large", team_level = 3, devops_level = 3, concurrency_risk = 0,
    domain_model = "subdomain", service_count = 5, data_tier = "event_store",
    framework = "kratos", rpc_style = "grpc", service_discovery = "etcd",
    consistency = "event_sourcing",
    resilience = { retries = 2, timeout_ms = 150, breaker = "middleware", replicas = 3 },
    expected_p99_ms = 28.5, expected_recovery_s = 4.7,
    observability = { "prometheus_expvar", "pprof_ci_gate", "goroutine_dump_on_timeout", "otel_jaeger_tracing" },
    deployment = "kubernetes_edge", node_placement = "edge_affinity_toleration",
    image_build = "multistage_scratch", evolution_step = "stay",
    -- 4.2: gateway -> five gRPC subdomains at an equal share of 40000 QPS, an event
    -- store each, the event bus they source (what `rulec graph --decision topology` draws)
    topology = {
      { from = "clients", to = "gateway", label = "HTTP 40000 qps" },
      { from = "gateway", to = "catalog", label = "grpc 8000 qps" },
      { from = "gateway", to = "order", label = "grpc 8000 qps" },
      { from = "gateway", to = "payment", label = "grpc 8000 qps" },
      { from = "gateway", to = "fulfillment", label = "grpc 8000 qps" },
      { from = "gateway", to = "identity", label = "grpc 8000 qps" },
      { from = "catalog", to = "catalog_db", label = "event_store" },
      { from = "order", to = "order_db", label = "event_store" },
      { from = "payment", to = "payment_db", label = "event_store" },
      { from = "fulfillment", to = "fulfillment_db", label = "event_store" },
      { from = "identity", to = "identity_db", label = "event_store" },
      { from = "catalog", to = "event_bus", label = "event_sourcing" },
      { from = "order", to = "event_bus", label = "event_sourcing" },
      { from = "payment", to = "event_bus", label = "event_sourcing" },
      { from = "fulfillment", to = "event_bus", label = "event_sourcing" },
      { from = "identity", to = "event_bus", label = "event_sourcing" },
    },
  },
  rules = {
    business_scale = "scale-large", team_level = "team-l3", devops_level = "devops-l3",
    domain_model = "split-subdomains", data_tier = "data-event-store", framework = "fw-contracts",
    rpc_style = "rpc-grpc", service_discovery = "sd-kratos-etcd", resilience = "resilience-kratos",
    expected_p99_ms = "p99-kratos", deployment = "deploy-k8s-edge",
    node_placement = "place-edge-toleration", image_build = "image-scratch-edge",
    evolution_step = "default", topology = "topo-split",
  },
  violations = {},
}

test "impossible SLA: 8 ms P99, 0.5 s recovery, 99.999 % on VMs, strong consistency" {
  context = "examples/impossible-sla.json",
  expect = {
    business_scale = "medium", framework = "go-zero", consistency = "distributed_tx",
    deployment = "vm", expected_p99_ms = 15.0, expected_recovery_s = 1.3,
    resilience = { retries = 2, timeout_ms = 100, breaker = "builtin", replicas = 3 },
  },
  rules = { framework = "fw-latency", consistency = "cons-distributed-tx" },
  violations = {
    "p99-below-framework", "recovery-below-framework",
    "availability-needs-self-healing", "strong-consistency-latency",
  },
}

---------------------------------------------------------------------------------------------
-- Contradictions and edge cases, each a change to BASE

test "strong consistency asked of event-sourced subdomains" {
  context = with {
    system = { qps = 20000, domain = "subdomain", domains = { "catalog", "order", "payment", "identity" } },
    team = { size = 20 },
    sla = { consistency = "strong", p99_ms = 40.0, recovery_s = 6.0 },
  },
  expect = {
    business_scale = "large", domain_model = "subdomain", service_count = 4,
    framework = "kratos", consistency = "event_sourcing", data_tier = "event_store",
  },
  violations = { "strong-consistency-event-sourced" },
}

test "P99 target inside go-zero's 12-18 ms band: a warning only" {
  context = with { sla = { p99_ms = 16.0 } },
  expect = {
    framework = "go-zero", expected_p99_ms = 15.0,
    resilience = { retries = 1, timeout_ms = 100, breaker = "builtin", replicas = 2 },
  },
  violations = { "p99-inside-framework-band" },
}

test "recovery 3 s keeps kratos out of a large system with a loose P99" {
  context = with {
    system = { qps = 20000, domain = "subdomain", domains = { "catalog", "order", "payment", "identity" } },
    team = { size = 20 },
    sla = { p99_ms = 60.0, recovery_s = 3.0 },
  },
  expect = {
    business_scale = "large", domain_model = "subdomain", framework = "go-zero",
    rpc_style = "zrpc", consistency = "event_sourcing", expected_recovery_s = 1.3,
    resilience = { retries = 1, timeout_ms = 180, breaker = "builtin", replicas = 2 },
  },
  rules = { framework = "fw-recovery" },
  violations = {},
}

test "L1 team at large scale: bounded contexts, not subdomains, and a high risk score" {
  context = with {
    system = { qps = 8000 },
    team = { go_concurrency = 1, leak_detection = false, block_profiling = false },
    sla = { p99_ms = 40.0, recovery_s = 6.0 },
  },
  expect = {
    business_scale = "large", team_level = 1, devops_level = 2,
    concurrency_risk = 8,   -- 3 no leak detection + 2 no block profiling + 3 L1 under load
    domain_model = "bounded_context", framework = "go-zero", consistency = "message_queue",
    observability = { "prometheus_expvar", "pprof_ci_gate", "goroutine_leak_tests", "block_profile",
                      "goroutine_dump_on_timeout", "otel_jaeger_tracing" },
  },
  rules = { team_level = "default", domain_model = "split-contexts", framework = "fw-operability",
            consistency = "default" },
  violations = { "concurrency-risk-high" },
}

test "declared DevOps L3 but pprof by hand: L1, and the release gate blocks the split" {
  context = with { team = { devops_maturity = 3, pprof = "manual" } },
  expect = {
    devops_level = 1, service_count = 3, framework = "go-zero",
    observability = { "prometheus_expvar", "pprof_endpoint", "pprof_ci_gate", "otel_jaeger_tracing" },
    image_build = "multistage_alpine",
  },
  rules = { devops_level = "default", framework = "fw-latency" },
  violations = { "release-gate-pprof", "devops-maturity-overstated" },
}

test "edge nodes without node affinity deploy as plain Kubernetes" {
  context = with { platform = { edge_nodes = 3, node_affinity = false, taints = false } },
  expect = { deployment = "kubernetes", node_placement = "default_scheduling", image_build = "multistage_alpine" },
  rules = { deployment = "deploy-k8s", node_placement = "place-default" },
  violations = { "edge-needs-affinity" },
}

test "edge nodes without Kubernetes get a static binary" {
  context = with { platform = { kubernetes = false, node_affinity = false, taints = false, edge_nodes = 4 } },
  expect = { deployment = "edge_binary", node_placement = "none", image_build = "static_binary" },
  rules = { deployment = "deploy-edge-binary", image_build = "image-none" },
  violations = {},
}

test "edge affinity without taints" {
  context = with { platform = { edge_nodes = 2, taints = false } },
  expect = { deployment = "kubernetes_edge", node_placement = "edge_affinity", image_build = "multistage_scratch" },
  violations = {},
}

test "a small system already split into services should consolidate" {
  context = with {
    system = { qps = 200, daily_data_gb = 0.2, domain = "module" },
    current = { stage = "services" },
  },
  expect = {
    business_scale = "small", domain_model = "module", service_count = 1, rpc_style = "in_process",
    consistency = "local_acid", data_tier = "single_sql", evolution_step = "consolidate",
    topology = {
      { from = "clients", to = "payments", label = "HTTP 200 qps" },
      { from = "payments", to = "payments_db", label = "single_sql" },
    },
  },
  rules = { evolution_step = "evo-consolidate", topology = "topo-single" },
  violations = { "services-stage-oversplit" },
}

test "strong consistency across go-zero services at 20 ms P99" {
  context = with { sla = { consistency = "strong", p99_ms = 20.0 } },
  expect = {
    consistency = "distributed_tx",
    topology = {
      { from = "clients", to = "gateway", label = "HTTP 3000 qps" },
      { from = "gateway", to = "order", label = "zrpc 1000 qps" },
      { from = "gateway", to = "payment", label = "zrpc 1000 qps" },
      { from = "gateway", to = "inventory", label = "zrpc 1000 qps" },
      { from = "order", to = "order_db", label = "sql_per_service" },
      { from = "payment", to = "payment_db", label = "sql_per_service" },
      { from = "inventory", to = "inventory_db", label = "sql_per_service" },
      { from = "order", to = "tx_coordinator", label = "distributed_tx" },
      { from = "payment", to = "tx_coordinator", label = "distributed_tx" },
      { from = "inventory", to = "tx_coordinator", label = "distributed_tx" },
    },
  },
  violations = { "strong-consistency-latency" },
}

test "goroutines growing 60 %/min: back to an L2 review" {
  context = with { team = { go_concurrency = 3, goroutine_growth_pct_per_min = 60.0 } },
  expect = {
    team_level = 2, concurrency_risk = 3,
    observability = { "prometheus_expvar", "pprof_ci_gate", "goroutine_dump_on_timeout", "otel_jaeger_tracing" },
  },
  rules = { team_level = "team-l2" },
  violations = {},
}

test "one domain at 150 GB a day: one sharded service" {
  context = with { system = { qps = 1200, daily_data_gb = 150.0, domain = "module", domains = { "ledger" } } },
  expect = {
    business_scale = "large", domain_model = "module", service_count = 1, data_tier = "sharded_sql",
    rpc_style = "in_process", service_discovery = "none", consistency = "local_acid",
    evolution_step = "stay",
  },
  rules = { business_scale = "scale-large", data_tier = "data-sharded", evolution_step = "default" },
  violations = {},
}

test "ten services for twelve engineers, found through Nacos" {
  context = with {
    system = { domains = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" } },
    platform = { registry = "nacos" },
  },
  expect = { service_count = 10, service_discovery = "nacos" },
  rules = { service_discovery = "sd-nacos" },
  violations = { "team-per-service" },
}

test "99.99 % availability on VMs cannot self-heal" {
  context = with {
    sla = { availability = 99.99 },
    platform = { kubernetes = false, node_affinity = false, taints = false },
  },
  expect = {
    deployment = "vm",
    resilience = { retries = 2, timeout_ms = 100, breaker = "builtin", replicas = 3 },
  },
  violations = { "availability-needs-self-healing" },
}

test "below 50 QPS and 10 MB a day is still small (2.1 has no smaller tier)" {
  context = with {
    system = { qps = 20, daily_data_gb = 0.005, domain = "module", domains = { "notes" } },
    current = { stage = "monolith" },
  },
  expect = { business_scale = "small", service_count = 1, evolution_step = "modular" },
  rules = { business_scale = "default" },
  violations = {},
}

-- The figures of the origin document (shared/seed/architecture-decision-engine.zh.txt),
-- in one place, each with the section it comes from, and the few helpers that turn them
-- into CEL text. Included by architecture.lua and validations.lua (include runs it once).
--
-- Where a figure is not in the document but is our reading of it, the comment says
-- "reading:" and why.

local F = {}

-- 2.1 key-indicator table (关键指标对照表). The document gives
--   small:  QPS 50–500,  daily data 10 MB–1 GB, granularity "single module" (单体模块)
--   medium: QPS > 500,   daily data > 1 GB,     granularity "bounded context" (限界上下文)
--   large:  (QPS and data cells are empty in the document),
--           granularity "independent subdomains + event sourcing" (独立子域+事件溯源)
-- A system is as large as its largest indicator: any one of them moves it up a tier.
F.scale = {
  medium = {
    qps = 500,            -- 2.1: "> 500" (document)
    daily_data_gb = 1.0,  -- 2.1: "> 1 GB" (document)
    domain = "bounded_context",
  },
  large = {
    qps = 5000,             -- reading: the cell is blank; one order of magnitude above medium's bound
    daily_data_gb = 100.0,  -- reading: the cell is blank; past ~100 GB/day one SQL primary stops coping
    domain = "subdomain",   -- 2.1: independent subdomains + event sourcing (document)
  },
  -- 2.1: below 50 QPS / 10 MB a day the document has no tier; such a system is "small" here.
}

-- 2.2 team capability. The document names the evidence (goroutine-leak detection,
-- channel-blocking analysis, NumGoroutine peak deviation from a baseline) but gives one
-- number only: the CI flow of 2.2 sends a team whose goroutine count grows faster than
-- 50 %/min back to an "L2 review".
F.team = {
  growth_review_pct_per_min = 50.0,  -- 2.2 mermaid: "对比goroutine增长斜率 >50%/min → 触发Go并发L2复审" (document)
  baseline_deviation_pct = 20.0,     -- reading: the document names the metric (峰值基线偏差率) without a bound
  risk_warning = 8,                  -- reading: half of the 16 points concurrency_risk can reach
}

-- 2.3 go-zero vs kratos comparison (框架能力对照表) and fault-injection experiment.
-- The document's rule of thumb, "高吞吐低延迟场景(P99 …", is cut off after "P99"; the
-- threshold that sends a system to go-zero is therefore our reading: any P99 target below
-- kratos's worst measured figure (35 ms), so that kratos is chosen only where it always fits.
F.frameworks = {
  { name = "go-zero",
    p99_min = 12.0, p99_max = 18.0,  -- 2.3: go-zero P99 12–18 ms (built-in adaptive limiting)
    recovery_s = 1.3,                -- 2.3: self-healing 1.3 s at 5k QPS fault injection
    breaker = "builtin",             -- 2.3 diagram: gateway does retry + timeout breaker + fallback itself
    rpc = "zrpc",                    -- go-zero's gRPC-based RPC; REST at the gateway
  },
  { name = "kratos",
    p99_min = 22.0, p99_max = 35.0,  -- 2.3: kratos P99 22–35 ms (middleware chain)
    recovery_s = 4.7,                -- 2.3: 4.7 s at 5k QPS, "依赖显式配置"
    breaker = "middleware",          -- 2.3 diagram: resilience has to be injected by hand
    rpc = "grpc",                    -- 2.3: native etcd + gRPC resolver; 3.3 protobuf + gRPC-Gateway
  },
}
F.by_name = {}
for _, fw in ipairs(F.frameworks) do
  fw.p99_mid = (fw.p99_min + fw.p99_max) / 2   -- 15.0 and 28.5: the estimate is the middle of the band
  F.by_name[fw.name] = fw
end

-- 2.3 availability → redundancy. The document ties availability to self-healing only;
-- the replica counts are our reading (one spare for 99.9 %, two for 99.99 %).
F.availability = {
  ha = 99.9,          -- reading: from here on, 2 replicas per service
  self_healing = 99.99, -- reading: from here on, 3 replicas, automatic restarts (2.3 self-healing), 2 retries
}

-- Timeouts: reading. A call's budget is 3× the P99 target, never below 100 ms.
F.timeout = { factor = 3.0, floor_ms = 100 }

-- ch. 1 "每个服务对应专属小团队": every service has its own small team.
F.engineers_per_service = 2   -- reading: the smallest team that can own a service (one on call, one building)

---------------------------------------------------------------------------------------------
-- Helpers: Lua values → CEL text.

-- A Lua number as a CEL double literal with the fewest decimals (at least one) that read
-- back as the same number: 12 → "12.0", 1.3 → "1.3", 99.99 → "99.99".
function F.double(x)
  for decimals = 1, 6 do
    local s = string.format("%." .. decimals .. "f", x)
    if tonumber(s) == x then return s end
  end
  error("figure needs more than six decimals: " .. tostring(x))
end

-- A CEL string literal (the figures hold no quotes).
function F.str(s) return "'" .. s .. "'" end

-- A CEL conditional that picks a framework's field by the `framework` decision:
--   F.per_framework("p99_min") → "(framework == 'go-zero' ? 12.0 : 22.0)"
-- The last framework is the else branch; `fmt` renders a field (F.double by default).
function F.per_framework(field, fmt)
  fmt = fmt or F.double
  local n = #F.frameworks
  local expr = fmt(F.frameworks[n][field])
  for i = n - 1, 1, -1 do
    local fw = F.frameworks[i]
    expr = "framework == '" .. fw.name .. "' ? " .. fmt(fw[field]) .. " : " .. expr
  end
  return "(" .. expr .. ")"
end

-- "12–18" for messages, as a CEL expression on the chosen framework.
function F.band()
  local n = #F.frameworks
  local function band(fw) return "'" .. string.format("%g–%g", fw.p99_min, fw.p99_max) .. "'" end
  local expr = band(F.frameworks[n])
  for i = n - 1, 1, -1 do
    expr = "framework == '" .. F.frameworks[i].name .. "' ? " .. band(F.frameworks[i]) .. " : " .. expr
  end
  return "(" .. expr .. ")"
end

return F

local t = nil
local y = t.field   -- attempt to index a nil value

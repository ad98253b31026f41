-- doubles a string until the load's memory limit stops it
local s = "x"
while true do s = s .. s end

-- wrk script for bench/customers_load.py: every request takes a random path from a file
-- (one URL path with its query string per line), so ids, phones and words vary per request.
--
--   wrk -t2 -c8 -d20s --latency -s bench/c360_paths.lua -H "Authorization: Bearer …" \
--       http://127.0.0.1:8130 -- bench/out/paths_<shape>.txt

local counter = 0
local requests = {}

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
end

function init(args)
   local file = assert(io.open(args[1], "r"), "no paths file " .. tostring(args[1]))
   for line in file:lines() do
      if #line > 0 then
         requests[#requests + 1] = wrk.format(nil, line)
      end
   end
   file:close()
   assert(#requests > 0, "the paths file is empty")
   math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end

function request()
   return requests[math.random(#requests)]
end

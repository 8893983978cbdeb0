-- wrk script: each thread sends its own share of pre-signed URLs (one line
-- each in the file named by the first script argument; the second is the
-- number of wrk threads), every URL once, so
-- no request is a replay. Prints a parseable summary line at the end.
local threads = {}
local n_threads = 0

function setup(thread)
	thread:set("tid", n_threads)
	n_threads = n_threads + 1
	table.insert(threads, thread)
end

function init(args)
	local total = tonumber(args[2])
	urls, idx, wrapped = {}, 0, 0
	local i = 0
	for line in io.lines(args[1]) do
		if i % total == tid then
			-- keep the path and query only: wrk adds the host
			urls[#urls + 1] = line:gsub("^https?://[^/]+", "")
		end
		i = i + 1
	end
end

function request()
	idx = idx + 1
	if idx > #urls then
		idx, wrapped = 1, wrapped + 1
	end
	return wrk.format("GET", urls[idx])
end

function done(summary, latency, requests)
	local wraps = 0
	for _, t in ipairs(threads) do
		wraps = wraps + (t:get("wrapped") or 0)
	end
	io.write(string.format("SUMMARY rps=%.0f p50_us=%d p99_us=%d non2xx=%d errors=%d wrapped=%d\n",
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(99),
		summary.errors.status, summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.timeout, wraps))
end

--[[
Shared helpers of Tower's Nakama modules (loaded with require("tower_common")).

Conventions of every Tower RPC:
  * payload and result are JSON objects;
  * errors are raised as error({message, grpc_code}) so the game server can tell a stale
    write (9, FAILED_PRECONDITION) from bad input (3, INVALID_ARGUMENT) or a refused caller
    (7, PERMISSION_DENIED);
  * "server" RPCs may only be called with the runtime http_key (no user session): they are
    how the game server, and nobody else, writes authoritative data;
  * every collection named tower_* is written by these modules only (tower_guard.lua refuses
    client writes and deletes), and what they read back is type-checked before use.
]]

local nk = require("nakama")

local M = {}

M.CODE_INVALID_ARGUMENT = 3
M.CODE_NOT_FOUND = 5
M.CODE_ALREADY_EXISTS = 6
M.CODE_PERMISSION_DENIED = 7
M.CODE_FAILED_PRECONDITION = 9
M.CODE_INTERNAL = 13
M.CODE_DATA_LOSS = 15

-- Shortest accepted shared secret (ticket key, http_key), in bytes.
M.MIN_KEY_BYTES = 32

-- Nakama's owner id for objects that belong to the system rather than to a user.
M.SYSTEM_USER = "00000000-0000-0000-0000-000000000000"

function M.fail(message, code)
  error({ message, code })
end

-- Refuses calls made with a user session: only the http_key caller (the game server) passes.
function M.require_server(context)
  if context.user_id ~= nil and context.user_id ~= "" then
    M.fail("this RPC is reserved to the game server", M.CODE_PERMISSION_DENIED)
  end
end

function M.decode(payload)
  if payload == nil or payload == "" then
    M.fail("empty payload: a JSON object is expected", M.CODE_INVALID_ARGUMENT)
  end
  local ok, value = pcall(nk.json_decode, payload)
  if not ok or type(value) ~= "table" then
    M.fail("payload is not a JSON object", M.CODE_INVALID_ARGUMENT)
  end
  return value
end

function M.string_field(t, name, max_len)
  local v = t[name]
  if type(v) ~= "string" or v == "" or #v > (max_len or 256) then
    M.fail(name .. " must be a non-empty string of at most " .. (max_len or 256) .. " bytes", M.CODE_INVALID_ARGUMENT)
  end
  return v
end

function M.count_field(t, name, max)
  local v = t[name]
  if type(v) ~= "number" or v < 0 or v > max or v ~= math.floor(v) then
    M.fail(name .. " must be an integer in 0.." .. max, M.CODE_INVALID_ARGUMENT)
  end
  return v
end

function M.user_id_field(t, name)
  local v = M.string_field(t, name, 36)
  if not string.match(v, "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$") then
    M.fail(name .. " must be a Nakama user id (UUID)", M.CODE_INVALID_ARGUMENT)
  end
  return v
end

-- A positive integer from the runtime environment (runtime.env), or the default.
function M.env_number(context, name, default)
  local raw = context.env and context.env[name]
  local n = tonumber(raw)
  if n == nil or n <= 0 then return default end
  return n
end

-- The runtime environment (runtime.env "k=v" entries) as a table, readable at module load
-- (RPCs get the same values in context.env).
function M.startup_env()
  local env = {}
  local ok, cfg = pcall(nk.get_config)
  if not ok or type(cfg) ~= "table" or type(cfg.runtime) ~= "table" then return env, nil end
  for _, entry in ipairs(cfg.runtime.env or {}) do
    local k, v = string.match(tostring(entry), "^([^=]+)=(.*)$")
    if k ~= nil then env[k] = v end
  end
  return env, cfg.runtime.http_key
end

-- Fails the module load (so Nakama refuses to start) when a shared secret is missing or short.
function M.require_strong_key(name, value)
  if type(value) ~= "string" or #value < M.MIN_KEY_BYTES then
    error(string.format("tower: %s must be at least %d bytes (got %d); generate one with "
      .. "`openssl rand -hex 32` (scripts/nakama-stack.sh does)", name, M.MIN_KEY_BYTES,
      type(value) == "string" and #value or 0))
  end
end

-- true when v is an integer number in lo..hi.
function M.is_int(v, lo, hi)
  return type(v) == "number" and v == math.floor(v) and v >= lo and v <= hi
end

-- true when v is a string of 1..max bytes.
function M.is_text(v, max)
  return type(v) == "string" and #v > 0 and #v <= max
end

function M.now_ms()
  return nk.time()
end

-- For a module's own checks (the tower_placement_check RPC): a list of failure messages and
-- an `expect(what, got, want)` that appends one when got ~= want.
function M.expectations()
  local failures = {}
  local function expect(what, got, want)
    if got ~= want then
      table.insert(failures, string.format("%s: got %s, want %s", what, tostring(got), tostring(want)))
    end
  end
  return failures, expect
end

return M

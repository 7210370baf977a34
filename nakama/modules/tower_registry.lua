--[[
Game-server registry. Each game server calls `tower_server_heartbeat` with the http_key every
few seconds; the record lives in storage (collection tower_servers, owned by the system user,
key = server id, no client permissions). A server whose last heartbeat is older than
tower_server_ttl_sec (runtime env, default 15 s) is not live and is never chosen by the
matchmaker.

Only system-owned records are read (a client cannot create one: tower_guard.lua), and each
record is type-checked and bounded before use; a malformed one is logged and ignored, so one
bad record can never break the matchmaker hook for everybody.

Each heartbeat names the server's `instance` (random per start of the game-server process):
tickets name it too, so a ticket accepted before a restart is refused after it.

Lookups go through a Nakama storage index (tower_servers_index) instead of listing the
collection: the matchmaker asks it for live system-owned records only (an owner term and a
heartbeat_ms range query), at most MAX_SERVERS of them. The objects the index names are read
from the database (index_only = false: fresh values and versions) and checked again by
server_from_object.
]]

local nk = require("nakama")
local common = require("tower_common")

local M = {}

M.COLLECTION = "tower_servers"
M.INDEX = "tower_servers_index"
-- Records the index holds and a lookup returns at most (Nakama evicts the oldest beyond).
M.MAX_SERVERS = 2000
local DEFAULT_TTL_SEC = 15
local MAX_PLAYERS = 1000000
-- A heartbeat time further in the future than this is not believed.
local FUTURE_SLACK_MS = 60000

function M.ttl_ms(context)
  return common.env_number(context, "tower_server_ttl_sec", DEFAULT_TTL_SEC) * 1000
end

local function record_from_payload(p, now)
  local fingerprint = p.fingerprint
  if fingerprint == nil then fingerprint = "" end
  if type(fingerprint) ~= "string" or #fingerprint > 128 then
    common.fail("fingerprint must be a string of at most 128 bytes", common.CODE_INVALID_ARGUMENT)
  end
  local record = {
    id = common.string_field(p, "id", 64),
    instance = common.string_field(p, "instance", 64),
    address = common.string_field(p, "address", 255),
    port = common.count_field(p, "port", 65535),
    fingerprint = fingerprint,
    capacity = common.count_field(p, "capacity", MAX_PLAYERS),
    players = common.count_field(p, "players", MAX_PLAYERS),
    heartbeat_ms = now,
  }
  if record.port == 0 then common.fail("port must be in 1..65535", common.CODE_INVALID_ARGUMENT) end
  return record
end

-- A registry entry from a stored object, or nil and the reason it is not trusted.
-- Pure: exposed for the module's own checks.
function M.server_from_object(o, now, ttl)
  if type(o) ~= "table" then return nil, "not an object" end
  if o.user_id ~= nil and o.user_id ~= common.SYSTEM_USER then
    return nil, "not owned by the system user"
  end
  local v = o.value
  if type(v) ~= "table" then return nil, "value is not an object" end
  if not common.is_text(v.id, 64) or v.id ~= o.key then return nil, "bad id" end
  if not common.is_text(v.instance, 64) then return nil, "bad instance" end
  if not common.is_text(v.address, 255) then return nil, "bad address" end
  if not common.is_int(v.port, 1, 65535) then return nil, "bad port" end
  if type(v.fingerprint) ~= "string" or #v.fingerprint > 128 then return nil, "bad fingerprint" end
  if not common.is_int(v.capacity, 0, MAX_PLAYERS) then return nil, "bad capacity" end
  if not common.is_int(v.players, 0, MAX_PLAYERS) then return nil, "bad players" end
  if not common.is_int(v.heartbeat_ms, 0, now + FUTURE_SLACK_MS) then return nil, "bad heartbeat_ms" end
  return {
    id = v.id,
    instance = v.instance,
    address = v.address,
    port = v.port,
    fingerprint = v.fingerprint,
    capacity = v.capacity,
    players = v.players,
    heartbeat_ms = v.heartbeat_ms,
    live = (now - v.heartbeat_ms) <= ttl,
    version = o.version,
  }
end

-- Nakama loads every module once per Lua VM of its pool, but an index can be created only
-- once per process: later VMs get "already exists", which is expected.
-- No Lua index filter (register_storage_index_filter): Nakama would run it in a second VM
-- of the pool during each registry write, so writes holding every VM would wait on each
-- other. The owner is restricted in the query instead, and every field checked on read.
do
  local ok, err = pcall(nk.register_storage_index, M.INDEX, M.COLLECTION, "",
    { "id", "capacity", "players", "heartbeat_ms" }, { "heartbeat_ms" }, M.MAX_SERVERS, false)
  if not ok and not string.find(tostring(err), "already exists", 1, true) then
    error("tower registry: cannot create storage index " .. M.INDEX .. ": " .. tostring(err))
  end
end

-- The index query for system-owned records, live ones only when live_since_ms is given.
function M.index_query(live_since_ms)
  -- The query syntax needs the id's hyphens escaped (a quoted phrase never matches).
  local q = "+user_id:" .. string.gsub(common.SYSTEM_USER, "%-", "\\-")
  if live_since_ms ~= nil then
    q = q .. string.format(" +value.heartbeat_ms:>=%.0f", live_since_ms)
  end
  return q
end

-- Registry entries from the index, with `live` set from each heartbeat's age: only live ones
-- when live_only, else every indexed record. Bounded by MAX_SERVERS; the owner and every
-- field are checked again on the objects read back.
function M.list(context, live_only)
  local now = common.now_ms()
  local ttl = M.ttl_ms(context)
  local objects = nk.storage_index_list(M.INDEX, M.index_query(live_only and now - ttl or nil),
    M.MAX_SERVERS, {})
  local servers = {}
  for _, o in ipairs(objects or {}) do
    local s, why = M.server_from_object(o, now, ttl)
    if s ~= nil then
      table.insert(servers, s)
    else
      nk.logger_warn(string.format("tower registry: ignoring record %q (owner %s): %s",
        tostring(o.key), tostring(o.user_id), why))
    end
  end
  return servers
end

-- Counts players just sent to a server, so the next match does not pile onto it before its
-- next heartbeat reports the real number. Best effort: a concurrent heartbeat wins.
function M.reserve(server, n)
  local value = {}
  for k, v in pairs(server) do
    if k ~= "live" and k ~= "version" then value[k] = v end
  end
  value.players = math.min(value.players + n, MAX_PLAYERS)
  pcall(nk.storage_write, { {
    collection = M.COLLECTION, key = server.id, user_id = common.SYSTEM_USER,
    value = value, version = server.version, permission_read = 0, permission_write = 0,
  } })
end

local function heartbeat(context, payload)
  common.require_server(context)
  local record = record_from_payload(common.decode(payload), common.now_ms())
  nk.storage_write({ {
    collection = M.COLLECTION, key = record.id, user_id = common.SYSTEM_USER,
    value = record, permission_read = 0, permission_write = 0,
  } })
  return nk.json_encode({ id = record.id, ttl_ms = M.ttl_ms(context) })
end

local function deregister(context, payload)
  common.require_server(context)
  local id = common.string_field(common.decode(payload), "id", 64)
  nk.storage_delete({ { collection = M.COLLECTION, key = id, user_id = common.SYSTEM_USER } })
  return nk.json_encode({ id = id })
end

local function list_rpc(context, _payload)
  common.require_server(context)
  local out = {}
  for _, s in ipairs(M.list(context, false)) do
    s.version = nil
    table.insert(out, s)
  end
  return nk.json_encode({ servers = out })
end

nk.register_rpc(heartbeat, "tower_server_heartbeat")
nk.register_rpc(deregister, "tower_server_deregister")
nk.register_rpc(list_rpc, "tower_server_list")

return M

--[[
Game-server registry. Each game server calls `tower_server_heartbeat` with the http_key every
few seconds; the record lives in storage (collection tower_servers, owned by the system user,
key = server id). A server whose last heartbeat is older than tower_server_ttl_sec (runtime
env, default 15 s) is not live and is never chosen by the matchmaker.
]]

local nk = require("nakama")
local common = require("tower_common")

local M = {}

M.COLLECTION = "tower_servers"
local DEFAULT_TTL_SEC = 15

function M.ttl_ms(context)
  return common.env_number(context, "tower_server_ttl_sec", DEFAULT_TTL_SEC) * 1000
end

local function record_from_payload(p, now)
  return {
    id = common.string_field(p, "id", 64),
    address = common.string_field(p, "address", 255),
    port = common.count_field(p, "port", 65535),
    fingerprint = type(p.fingerprint) == "string" and p.fingerprint or "",
    capacity = common.count_field(p, "capacity", 1000000),
    players = common.count_field(p, "players", 1000000),
    heartbeat_ms = now,
  }
end

-- Every registered server with `live` set from its heartbeat age.
function M.list(context)
  local now = common.now_ms()
  local ttl = M.ttl_ms(context)
  local servers = {}
  local cursor = nil
  repeat
    local objects, next_cursor = nk.storage_list(nil, M.COLLECTION, 100, cursor)
    for _, o in ipairs(objects or {}) do
      local s = o.value
      s.live = (now - (s.heartbeat_ms or 0)) <= ttl
      s.version = o.version
      table.insert(servers, s)
    end
    cursor = next_cursor
  until cursor == nil or cursor == ""
  return servers
end

-- The live server with the lowest load (players / capacity) that still has room, or nil.
function M.least_loaded(servers)
  local best, best_load = nil, nil
  for _, s in ipairs(servers) do
    if s.live and s.capacity > 0 and s.players < s.capacity then
      local load = s.players / s.capacity
      if best == nil or load < best_load or (load == best_load and s.id < best.id) then
        best, best_load = s, load
      end
    end
  end
  return best
end

-- Counts players just sent to a server, so the next match does not pile onto it before its
-- next heartbeat reports the real number. Best effort: a concurrent heartbeat wins.
function M.reserve(server, n)
  local value = {}
  for k, v in pairs(server) do
    if k ~= "live" and k ~= "version" then value[k] = v end
  end
  value.players = value.players + n
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
  for _, s in ipairs(M.list(context)) do
    s.version = nil
    table.insert(out, s)
  end
  return nk.json_encode({ servers = out })
end

nk.register_rpc(heartbeat, "tower_server_heartbeat")
nk.register_rpc(deregister, "tower_server_deregister")
nk.register_rpc(list_rpc, "tower_server_list")

return M

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
heartbeat_ms range query, with slack: the index's copy may lag), at most MAX_SERVERS of
them. The records the index names are then read from the database (fresh values and
versions; liveness is decided on those) and checked again by server_from_object.

Placement reserves: the matchmaker adds a match's players to the chosen record with a
conditional write (read, choose, write on that version; again on a conflict), and a
heartbeat keeps a reservation younger than RESERVE_HOLD_MS (players still connecting), so
simultaneous matches spread as the policy says.
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
-- Players the matchmaker just sent to a server are counted for this long even when a
-- heartbeat reports fewer (they are still connecting); then the server's own count rules.
M.RESERVE_HOLD_MS = 5000
-- The index only pre-selects: its copy of heartbeat_ms may lag the stored record, so the
-- query reaches back this much further and liveness is decided on the fresh value.
local INDEX_SLACK_MS = 30000

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
    reserved_until_ms = common.is_int(v.reserved_until_ms, 0, now + FUTURE_SLACK_MS)
      and v.reserved_until_ms or nil,
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
  local since = nil
  if live_only then since = now - ttl - INDEX_SLACK_MS end
  local objects = nk.storage_index_list(M.INDEX, M.index_query(since), M.MAX_SERVERS, {})
  -- The index names the records; their values and versions are read from the database in
  -- one call, so concurrent matches see each other's reservations (and reserve's
  -- conditional write compares against the true version).
  local keys = {}
  for _, o in ipairs(objects or {}) do
    table.insert(keys, { collection = M.COLLECTION, key = o.key, user_id = common.SYSTEM_USER })
  end
  if #keys > 0 then
    local ok, fresh = pcall(nk.storage_read, keys)
    if ok then objects = fresh or {} end
  end
  local servers = {}
  for _, o in ipairs(objects or {}) do
    local s, why = M.server_from_object(o, now, ttl)
    if s ~= nil then
      if s.live or not live_only then table.insert(servers, s) end
    else
      nk.logger_warn(string.format("tower registry: ignoring record %q (owner %s): %s",
        tostring(o.key), tostring(o.user_id), why))
    end
  end
  return servers
end

-- Counts players just sent to a server, so the next match does not pile onto it before they
-- connect: the count holds for RESERVE_HOLD_MS against lower heartbeats. A conditional
-- write on the version read: false when another match or a heartbeat wrote first (the
-- caller reads again and chooses again).
function M.reserve(server, n, now)
  local value = {}
  for k, v in pairs(server) do
    if k ~= "live" and k ~= "version" then value[k] = v end
  end
  value.players = math.min(value.players + n, MAX_PLAYERS)
  value.reserved_until_ms = now + M.RESERVE_HOLD_MS
  local ok, err = pcall(nk.storage_write, { {
    collection = M.COLLECTION, key = server.id, user_id = common.SYSTEM_USER,
    value = value, version = server.version, permission_read = 0, permission_write = 0,
  } })
  if not ok then
    nk.logger_debug(string.format("tower registry: reserve on %s lost a race: %s", server.id,
      tostring(err)))
  end
  return ok
end

-- The player count a heartbeat stores: the server's own, unless players the matchmaker sent
-- there are still connecting (a reservation younger than RESERVE_HOLD_MS counts more).
-- Pure: exposed for the module's own checks.
function M.held_players(reported, previous, now)
  if previous ~= nil and common.is_int(previous.reserved_until_ms, 0, now + FUTURE_SLACK_MS)
    and previous.reserved_until_ms > now and common.is_int(previous.players, 0, MAX_PLAYERS)
    and previous.players > reported then
    return previous.players, previous.reserved_until_ms
  end
  return reported, nil
end

-- The module's own checks (run with tower_placement's by tower_placement_check).
function M.checks()
  local failures, expect = common.expectations()
  local now = 1000000
  expect("no previous record", M.held_players(3, nil, now), 3)
  expect("a live reservation holds", M.held_players(3, { players = 7, reserved_until_ms = now + 1 }, now), 7)
  local _, until_ms = M.held_players(3, { players = 7, reserved_until_ms = now + 1 }, now)
  expect("and keeps its deadline", until_ms, now + 1)
  expect("an expired one does not", M.held_players(3, { players = 7, reserved_until_ms = now }, now), 3)
  expect("more connected than reserved", M.held_players(9, { players = 7, reserved_until_ms = now + 1 }, now), 9)
  expect("a malformed reservation is ignored",
    M.held_players(3, { players = "7", reserved_until_ms = now + 1 }, now), 3)
  expect("a reservation from the far future is ignored",
    M.held_players(3, { players = 7, reserved_until_ms = now + 10 * FUTURE_SLACK_MS }, now), 3)
  return failures
end

local function heartbeat(context, payload)
  common.require_server(context)
  local now = common.now_ms()
  local record = record_from_payload(common.decode(payload), now)
  local ok, found = pcall(nk.storage_read, { {
    collection = M.COLLECTION, key = record.id, user_id = common.SYSTEM_USER } })
  local previous = nil
  -- Only the same process's reservations carry over: a restarted server starts empty.
  if ok and found ~= nil and found[1] ~= nil and type(found[1].value) == "table"
    and found[1].value.instance == record.instance then
    previous = found[1].value
  end
  record.players, record.reserved_until_ms = M.held_players(record.players, previous, now)
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

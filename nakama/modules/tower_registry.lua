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

Liveness: a server is live while its last heartbeat is younger than the TTL and than two
of its own heartbeat intervals (measured between its last two heartbeats) plus a second: a
crashed server stops receiving matches after two missed heartbeats, not after the whole TTL.

Reservations (players the matchmaker sent to a server, still connecting) are kept per player
in the server's record, each with its own expiry: the expiry of the player's ticket (a
ticket nobody used cannot hold a slot past its lifetime). A server's count is its last
reported `players` plus the reservations still counted:
  * unexpired, and
  * the player's newest reservation on any server (a player who re-queues holds one slot, not
    one per match), and
  * not yet seen by the server: tower_player_admit (the server checking the player's ticket)
    marks the reservation arrived, and the next heartbeat after the one following that mark
    drops it (by then the server's own count includes the player).
A heartbeat stores the reported count as is and only prunes reservations (a conditional
write, so it never drops one a concurrent match just made); a restarted instance starts with
none. The matchmaker adds a match's reservations with a conditional write (read, choose,
write on that version; again on a conflict), so simultaneous matches spread as the policy says.
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
-- Reservations one record holds at most (a server with that many is treated as full).
M.MAX_RESERVATIONS = 4096
-- A heartbeat interval is measured between two heartbeats of one instance, within these.
local MIN_INTERVAL_MS = 1000
-- A server is dead after this many missed heartbeats (plus ALIVE_SLACK_MS), or the TTL.
local MISSED_BEATS = 2
local ALIVE_SLACK_MS = 1000
-- Heartbeat writes retried on a conflict with a concurrent reservation.
local HEARTBEAT_ATTEMPTS = 8
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

-- The reservations of a stored record: a list of { user, until_ms, arrived_ms? }, or nil and
-- why they are not trusted. Pure.
local function reservations_from(list, now)
  if list == nil then return {} end
  if type(list) ~= "table" then return nil, "reservations is not a list" end
  if #list > M.MAX_RESERVATIONS then return nil, "too many reservations" end
  local out = {}
  for _, r in ipairs(list) do
    if type(r) ~= "table" or not common.is_text(r.user, 64)
      or not common.is_int(r.until_ms, 0, now + FUTURE_SLACK_MS)
      or (r.arrived_ms ~= nil and not common.is_int(r.arrived_ms, 0, now + FUTURE_SLACK_MS)) then
      return nil, "bad reservation"
    end
    table.insert(out, { user = r.user, until_ms = r.until_ms, arrived_ms = r.arrived_ms })
  end
  return out
end

-- How long a server may stay silent and still be live: the TTL, or less once its own
-- heartbeat interval is known (MISSED_BEATS of them plus a second). Pure.
function M.alive_window_ms(ttl, interval_ms)
  if common.is_int(interval_ms, MIN_INTERVAL_MS, ttl) then
    return math.min(ttl, MISSED_BEATS * interval_ms + ALIVE_SLACK_MS)
  end
  return ttl
end

-- A registry entry from a stored object, or nil and the reason it is not trusted.
-- `players` is the server's own last report; count_reservations adds what is still reserved.
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
  if v.interval_ms ~= nil and not common.is_int(v.interval_ms, 0, MAX_PLAYERS * 1000) then
    return nil, "bad interval_ms"
  end
  local reservations, why = reservations_from(v.reservations, now)
  if reservations == nil then return nil, why end
  return {
    id = v.id,
    instance = v.instance,
    address = v.address,
    port = v.port,
    fingerprint = v.fingerprint,
    capacity = v.capacity,
    players = v.players,
    reported = v.players,
    reserved = 0,
    reservations = reservations,
    heartbeat_ms = v.heartbeat_ms,
    interval_ms = v.interval_ms,
    live = (now - v.heartbeat_ms) <= M.alive_window_ms(ttl, v.interval_ms),
    version = o.version,
  }
end

-- Each player's newest unexpired reservation across `servers`: user -> { id, until_ms }. Pure.
local function newest_reservations(servers, now)
  local newest = {}
  for _, s in ipairs(servers) do
    for _, r in ipairs(s.reservations) do
      if r.until_ms > now then
        local n = newest[r.user]
        if n == nil or r.until_ms > n.until_ms or (r.until_ms == n.until_ms and s.id < n.id) then
          newest[r.user] = { id = s.id, until_ms = r.until_ms }
        end
      end
    end
  end
  return newest
end

-- true when reservation r on server `id` still holds a slot. Pure.
local function counted(r, id, newest, now)
  local n = newest[r.user]
  return r.until_ms > now and n ~= nil and n.id == id and n.until_ms == r.until_ms
end

-- Sets each server's `reserved` (reservations still counted) and `players` (reported +
-- reserved; a record holding MAX_RESERVATIONS counts as full), leaving out the players of
-- `exclude` (a set: the match being placed, whose new reservations replace their old ones).
-- Returns the newest map, which reserve() needs to prune. Pure: exposed for the checks.
function M.count_reservations(servers, now, exclude)
  exclude = exclude or {}
  local newest = newest_reservations(servers, now)
  for _, s in ipairs(servers) do
    local held = 0
    for _, r in ipairs(s.reservations) do
      if not exclude[r.user] and counted(r, s.id, newest, now) then held = held + 1 end
    end
    s.reserved = held
    s.players = math.min(s.reported + held, MAX_PLAYERS)
    if #s.reservations >= M.MAX_RESERVATIONS then s.players = math.max(s.players, s.capacity) end
  end
  return newest
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
-- Registry entries from the index, with `live` set from each heartbeat's age and `players`
-- counting the reservations still held: only live ones when live_only, else every indexed
-- record. Bounded by MAX_SERVERS; the owner and every field are checked again on the objects
-- read back. Also returns each player's newest reservation (for reserve). The reservations
-- of the players in the set `exclude` are not counted (see count_reservations).
function M.list(context, live_only, exclude)
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
  local all = {}
  for _, o in ipairs(objects or {}) do
    local s, why = M.server_from_object(o, now, ttl)
    if s ~= nil then
      table.insert(all, s)
    else
      nk.logger_warn(string.format("tower registry: ignoring record %q (owner %s): %s",
        tostring(o.key), tostring(o.user_id), why))
    end
  end
  -- Reservations are counted over every record read (a player's newest may be on a server
  -- that just died), then the dead are left out.
  local newest = M.count_reservations(all, now, exclude)
  local servers = {}
  for _, s in ipairs(all) do
    if s.live or not live_only then table.insert(servers, s) end
  end
  return servers, newest
end

-- The stored value of a registry entry (what server_from_object reads back).
local function stored_value(server, reservations)
  return {
    id = server.id, instance = server.instance, address = server.address, port = server.port,
    fingerprint = server.fingerprint, capacity = server.capacity, players = server.reported,
    heartbeat_ms = server.heartbeat_ms, interval_ms = server.interval_ms,
    reservations = reservations,
  }
end

local function write_on_version(value, version)
  return pcall(nk.storage_write, { {
    collection = M.COLLECTION, key = value.id, user_id = common.SYSTEM_USER,
    value = value, version = version, permission_read = 0, permission_write = 0,
  } })
end

-- The reservations `server` keeps when `users` are reserved there until `until_ms`: its
-- own still-counted ones (not those of `users`, whose newest is this one now) and one per
-- user. Pure: exposed for the module's own checks.
function M.with_reservations(server, users, until_ms, newest, now)
  local fresh = {}
  for _, u in ipairs(users) do fresh[u] = true end
  local out = {}
  for _, r in ipairs(server.reservations) do
    if not fresh[r.user] and counted(r, server.id, newest, now) then table.insert(out, r) end
  end
  for _, u in ipairs(users) do table.insert(out, { user = u, until_ms = until_ms }) end
  return out
end

-- Reserves a slot for each of `users` (a match) on `server` until `until_ms` (their tickets'
-- expiry), so the next match does not pile onto it before they connect. A conditional
-- write on the version read: false when another match or a heartbeat wrote first (the
-- caller reads again and chooses again).
function M.reserve(server, users, until_ms, newest, now)
  local value = stored_value(server, M.with_reservations(server, users, until_ms, newest, now))
  local ok, err = write_on_version(value, server.version)
  if not ok then
    nk.logger_debug(string.format("tower registry: reserve on %s lost a race: %s", server.id,
      tostring(err)))
  end
  return ok
end

-- Marks `user_id`'s counted reservation arrived (the game server is admitting the player):
-- the server's count keeps it until its heartbeats include the player. Best effort: a
-- failure only means the reservation counts until its ticket expires.
function M.mark_arrived(context, user_id)
  for _ = 1, HEARTBEAT_ATTEMPTS do
    local servers, newest = M.list(context, false)
    local n = newest[user_id]
    if n == nil then return end
    local now = common.now_ms()
    local target = nil
    for _, s in ipairs(servers) do if s.id == n.id then target = s end end
    if target == nil then return end
    local changed = false
    for _, r in ipairs(target.reservations) do
      if r.user == user_id and r.until_ms == n.until_ms and r.arrived_ms == nil then
        r.arrived_ms = now
        changed = true
      end
    end
    if not changed then return end
    if write_on_version(stored_value(target, target.reservations), target.version) then return end
  end
  nk.logger_warn(string.format("tower registry: could not mark %s arrived", user_id))
end

-- The reservations a heartbeat keeps: unexpired, and not arrived before the previous
-- heartbeat (this heartbeat's count includes those players). Pure.
function M.kept_by_heartbeat(previous, now)
  local out = {}
  for _, r in ipairs(previous.reservations) do
    if r.until_ms > now and (r.arrived_ms == nil or r.arrived_ms > previous.heartbeat_ms) then
      table.insert(out, r)
    end
  end
  return out
end

-- The module's own checks (run with tower_placement's by tower_placement_check).
function M.checks()
  local failures, expect = common.expectations()
  local now = 1000000
  local function srv(id, reported, reservations)
    return { id = id, reported = reported, capacity = 10, reservations = reservations }
  end
  local a = srv("a", 3, { { user = "u1", until_ms = now + 10 }, { user = "u2", until_ms = now } })
  local b = srv("b", 0, { { user = "u1", until_ms = now + 5 }, { user = "u3", until_ms = now + 5 } })
  local newest = M.count_reservations({ a, b }, now)
  expect("reported + unexpired reservations", a.players, 4)
  expect("a player re-queued holds one slot (the newest)", b.players, 1)
  expect("an expired reservation holds nothing", a.reserved, 1)
  M.count_reservations({ a, b }, now, { u3 = true })
  expect("the match being placed does not count its own old reservations", b.players, 0)
  M.count_reservations({ a, b }, now)
  local kept = M.with_reservations(b, { "u4", "u3" }, now + 30, newest, now)
  expect("reserve keeps counted ones and replaces the player's own", #kept, 2)
  expect("the new reservations end with their tickets", kept[2].until_ms, now + 30)
  local prev = { heartbeat_ms = now - 1000, reservations = {
    { user = "x", until_ms = now + 9, arrived_ms = now - 2000 },
    { user = "y", until_ms = now + 9, arrived_ms = now - 10 },
    { user = "z", until_ms = now + 9 },
    { user = "w", until_ms = now - 1 } } }
  expect("a heartbeat drops arrived (before the last beat) and expired", #M.kept_by_heartbeat(prev, now), 2)
  local full = srv("f", 0, {})
  for i = 1, M.MAX_RESERVATIONS do table.insert(full.reservations, { user = "v" .. i, until_ms = now - 1 }) end
  M.count_reservations({ full }, now)
  expect("a record holding the most reservations counts as full", full.players, 10)
  expect("silence allowed: two beats and a second", M.alive_window_ms(15000, 1000), 3000)
  expect("never more than the TTL", M.alive_window_ms(15000, 10000), 15000)
  expect("the TTL until the interval is known", M.alive_window_ms(15000, nil), 15000)
  local o = { key = "s", user_id = common.SYSTEM_USER, value = { id = "s", instance = "i",
    address = "h", port = 1, fingerprint = "", capacity = 1, players = 0, heartbeat_ms = now,
    reservations = { { user = 7, until_ms = now } } } }
  expect("a malformed reservation makes the record untrusted", M.server_from_object(o, now, 1000), nil)
  return failures
end

local function heartbeat(context, payload)
  common.require_server(context)
  local record
  for attempt = 1, HEARTBEAT_ATTEMPTS do
    local now = common.now_ms()
    record = record_from_payload(common.decode(payload), now)
    local ok, found = pcall(nk.storage_read, { {
      collection = M.COLLECTION, key = record.id, user_id = common.SYSTEM_USER } })
    local version = "*" -- must not exist
    local previous = nil
    if ok and found ~= nil and found[1] ~= nil then
      version = found[1].version
      -- Only the same process's reservations and interval carry over: a restarted server
      -- starts empty (tickets for its earlier instance are refused anyway).
      local p = M.server_from_object(found[1], now, M.ttl_ms(context))
      if p ~= nil and p.instance == record.instance then previous = p end
    end
    record.reservations = {}
    if previous ~= nil then
      record.reservations = M.kept_by_heartbeat(previous, now)
      record.interval_ms = math.max(MIN_INTERVAL_MS, math.min(now - previous.heartbeat_ms,
        M.ttl_ms(context)))
    end
    local written = pcall(nk.storage_write, { {
      collection = M.COLLECTION, key = record.id, user_id = common.SYSTEM_USER,
      value = record, version = version, permission_read = 0, permission_write = 0,
    } })
    if written then break end
    if attempt == HEARTBEAT_ATTEMPTS then
      common.fail("registry write kept conflicting; next heartbeat will retry", common.CODE_INTERNAL)
    end
  end
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
    s.version, s.reservations = nil, nil
    table.insert(out, s)
  end
  return nk.json_encode({ servers = out })
end

nk.register_rpc(heartbeat, "tower_server_heartbeat")
nk.register_rpc(deregister, "tower_server_deregister")
nk.register_rpc(list_rpc, "tower_server_list")

return M

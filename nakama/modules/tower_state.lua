--[[
Persistent player state, written only by the game server (http_key RPCs).

Storage format 2 (since protocol 2): collection tower_player_state, owned by the SYSTEM user,
key = the player's user id, no client permissions. Only runtime code can write a system-owned
object, so every state read back was written by a game server: a player cannot plant one.
The value is { format = 2, state = {...}, save_id = "..." }.

Format 1 (collection tower_state, key state, owned by the player) is never trusted: a player
could create it before the first save. When only such an object exists, it is logged and
ignored, and the player starts fresh.

Storage versions give optimistic concurrency: a save names the version it was based on (nil =
"must not exist yet") and a stale one is rejected with FAILED_PRECONDITION, never merged.
Saves are idempotent: each carries a save id, and a retry of a save that was committed but
whose answer was lost finds its own save id stored and succeeds with the stored version. A
save may also name `unconfirmed` ids (earlier saves of the same game server whose answers were
lost): if the stored object carries one of them, it is that server's own write, and the new
state replaces it despite the newer version.

Errors say whether a retry can help: INTERNAL only for a failure of storage itself; an
unknown or deleted user is NOT_FOUND, bad input INVALID_ARGUMENT (the game server
dead-letters those). The leaderboard step is best effort and never fails a save.

Players read their own saved state with tower_state_mine (their session).
]]

local nk = require("nakama")
local common = require("tower_common")
local leaderboard = require("tower_leaderboard")

local COLLECTION = "tower_player_state"
local FORMAT = 2
local LEGACY_COLLECTION = "tower_state"
local LEGACY_KEY = "state"
local MAX_FLOOR = 1000000000
local MAX_HEALTH = 1000000
local MAX_SCORE = 9007199254740991 -- 2^53 - 1: exact in a Lua number and in JSON

-- The state with exactly the known fields, or nil and the reason it is refused.
local function checked_state(s)
  if type(s) ~= "table" then return nil, "state must be a JSON object" end
  local fields = {
    { "highest_floor", MAX_FLOOR }, { "current_floor", MAX_FLOOR },
    { "health", MAX_HEALTH }, { "score", MAX_SCORE },
  }
  local out = {}
  for _, f in ipairs(fields) do
    local name, max = f[1], f[2]
    if not common.is_int(s[name], 0, max) then
      return nil, string.format("state.%s must be an integer in 0..%d", name, max)
    end
    out[name] = s[name]
  end
  return out
end

local function read_object(user_id)
  local objects = nk.storage_read({ { collection = COLLECTION, key = user_id, user_id = common.SYSTEM_USER } })
  return objects and objects[1]
end

-- { state, version, save_id } of a stored object, or nil and why it is not usable.
local function stored(o)
  if type(o.value) ~= "table" or o.value.format ~= FORMAT then
    return nil, "unknown storage format"
  end
  local s, why = checked_state(o.value.state)
  if s == nil then return nil, why end
  return { state = s, version = o.version, save_id = o.value.save_id }
end

local function warn_legacy(user_id)
  local ok, legacy = pcall(nk.storage_read,
    { { collection = LEGACY_COLLECTION, key = LEGACY_KEY, user_id = user_id } })
  if ok and legacy and legacy[1] then
    nk.logger_warn(string.format("tower state: ignoring %s/%s of user %s: not written by the "
      .. "game server (format 1 objects are owned by the player and cannot be trusted)",
      LEGACY_COLLECTION, LEGACY_KEY, user_id))
  end
end

local function load(context, payload)
  common.require_server(context)
  local user_id = common.user_id_field(common.decode(payload), "user_id")
  local o = read_object(user_id)
  if o == nil then
    warn_legacy(user_id)
    return nk.json_encode({ found = false })
  end
  local s, why = stored(o)
  if s == nil then
    nk.logger_error(string.format("tower state: stored state of %s is unusable: %s", user_id, why))
    common.fail("stored state is unusable: " .. why, common.CODE_DATA_LOSS)
  end
  return nk.json_encode({ found = true, state = s.state, version = s.version })
end

local function user_exists(user_id)
  local users = nk.users_get_id({ user_id })
  return users ~= nil and users[1] ~= nil, users and users[1] and users[1].username or ""
end

-- Best effort: keeps the leaderboards in step with the saved progress (a no-op unless it is a
-- new best); a failure is logged and never fails the save, which is already committed.
local function record_best(user_id, username, floor)
  if floor <= 0 or username == "" then return end
  local ok, err = pcall(leaderboard.record, user_id, username, floor)
  if not ok then
    nk.logger_warn(string.format("tower state: leaderboard update for %s failed: %s", user_id, tostring(err)))
  end
end

local MAX_UNCONFIRMED = 16

-- The `unconfirmed` save ids of a request as a set (absent = none).
local function unconfirmed_set(p)
  local set = {}
  if p.unconfirmed == nil then return set end
  if type(p.unconfirmed) ~= "table" or #p.unconfirmed > MAX_UNCONFIRMED then
    common.fail("unconfirmed must be a list of at most " .. MAX_UNCONFIRMED .. " save ids",
      common.CODE_INVALID_ARGUMENT)
  end
  for _, id in ipairs(p.unconfirmed) do
    if not common.is_text(id, 64) then
      common.fail("unconfirmed save ids must be strings of 1..64 bytes", common.CODE_INVALID_ARGUMENT)
    end
    set[id] = true
  end
  return set
end

local function write_state(user_id, state, save_id, expected)
  return pcall(nk.storage_write, { {
    collection = COLLECTION, key = user_id, user_id = common.SYSTEM_USER,
    value = { format = FORMAT, state = state, save_id = save_id },
    version = expected, permission_read = 0, permission_write = 0,
  } })
end

local function is_version_failure(text)
  return string.find(text, "version check failed", 1, true) or string.find(text, "rejected", 1, true)
end

local function save(context, payload)
  common.require_server(context)
  local p = common.decode(payload)
  local user_id = common.user_id_field(p, "user_id")
  local save_id = common.string_field(p, "save_id", 64)
  local unconfirmed = unconfirmed_set(p)
  local state, why = checked_state(p.state)
  if state == nil then common.fail(why, common.CODE_INVALID_ARGUMENT) end
  local expected = p.version
  if expected == nil then
    expected = "*" -- create only: never overwrite an object this caller has not read
  elseif type(expected) ~= "string" or expected == "" or expected == "*" or #expected > 128 then
    common.fail("version must be a stored version string or null", common.CODE_INVALID_ARGUMENT)
  end
  local exists, username = user_exists(user_id)
  if not exists then
    common.fail("unknown user " .. user_id .. " (deleted account?)", common.CODE_NOT_FOUND)
  end
  local ok, result = write_state(user_id, state, save_id, expected)
  if not ok and is_version_failure(tostring(result)) then
    local current = read_object(user_id)
    local stored_id = current ~= nil and type(current.value) == "table" and current.value.save_id or nil
    if stored_id ~= nil and stored_id == save_id then
      -- Idempotence: this very save was committed earlier (its answer was lost).
      return nk.json_encode({ version = current.version, replayed = true })
    end
    if stored_id ~= nil and unconfirmed[stored_id] then
      -- The newer version is this server's own earlier write: replace it, still guarded by
      -- its version so that a concurrent writer is not overwritten.
      ok, result = write_state(user_id, state, save_id, current.version)
    end
    if not ok and is_version_failure(tostring(result)) then
      common.fail("stale write: stored version differs from " .. expected, common.CODE_FAILED_PRECONDITION)
    end
  end
  if not ok then
    local text = tostring(result)
    -- Errors no retry can fix are refused as bad input; anything else may be transient.
    for _, permanent in ipairs({ "foreign key", "value too long", "invalid input" }) do
      if string.find(text, permanent, 1, true) then
        common.fail("storage refused the state: " .. text, common.CODE_INVALID_ARGUMENT)
      end
    end
    common.fail("storage write failed: " .. text, common.CODE_INTERNAL)
  end
  record_best(user_id, username, state.highest_floor)
  return nk.json_encode({ version = result[1].version })
end

-- The caller's own saved state (player session), for the game's UI.
local function mine(context, _payload)
  if context.user_id == nil or context.user_id == "" then
    common.fail("call this RPC with a player session", common.CODE_INVALID_ARGUMENT)
  end
  local o = read_object(context.user_id)
  if o == nil then return nk.json_encode({ found = false }) end
  local s = stored(o)
  if s == nil then return nk.json_encode({ found = false }) end
  return nk.json_encode({ found = true, state = s.state, version = s.version })
end

-- A player deleting their account (DeleteAccount) takes their saved state with it: the
-- system-owned tower_player_state/<user id> outlives the user otherwise (objects the player
-- owns, e.g. tower_guild/choice, go with the account in Nakama itself). Nakama's console
-- deletes without this hook: docs/nakama.md says how an operator erases the state then.
local function after_delete_account(context, _out, _in)
  local user_id = context.user_id
  if user_id == nil or user_id == "" then return end
  local ok, err = pcall(nk.storage_delete, {
    { collection = COLLECTION, key = user_id, user_id = common.SYSTEM_USER } })
  if not ok then
    nk.logger_error(string.format("tower state: erasing the state of deleted %s failed: %s",
      user_id, tostring(err)))
  end
end

nk.register_req_after(after_delete_account, "DeleteAccount")
nk.register_rpc(load, "tower_state_load")
nk.register_rpc(save, "tower_state_save")
nk.register_rpc(mine, "tower_state_mine")

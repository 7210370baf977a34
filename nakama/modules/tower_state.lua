--[[
Persistent player state, written only by the game server (http_key RPCs), read by the game
server and by the player themself (owner read permission). Storage versions give optimistic
concurrency: a save names the version it was based on (nil = "must not exist yet") and a
stale one is rejected with FAILED_PRECONDITION, never merged.
]]

local nk = require("nakama")
local common = require("tower_common")
local leaderboard = require("tower_leaderboard")

local COLLECTION = "tower_state"
local KEY = "state"
local OWNER_READ = 1
local NO_CLIENT_WRITE = 0

local function load(context, payload)
  common.require_server(context)
  local user_id = common.user_id_field(common.decode(payload), "user_id")
  local objects = nk.storage_read({ { collection = COLLECTION, key = KEY, user_id = user_id } })
  local o = objects and objects[1]
  if o == nil then
    return nk.json_encode({ found = false })
  end
  return nk.json_encode({ found = true, state = o.value, version = o.version })
end

local function save(context, payload)
  common.require_server(context)
  local p = common.decode(payload)
  local user_id = common.user_id_field(p, "user_id")
  if type(p.state) ~= "table" then
    common.fail("state must be a JSON object", common.CODE_INVALID_ARGUMENT)
  end
  local expected = p.version
  if expected == nil then
    expected = "*" -- create only: never overwrite an object this caller has not read
  elseif type(expected) ~= "string" or expected == "" or expected == "*" then
    common.fail("version must be a stored version string or null", common.CODE_INVALID_ARGUMENT)
  end
  local ok, result = pcall(nk.storage_write, { {
    collection = COLLECTION, key = KEY, user_id = user_id, value = p.state,
    version = expected, permission_read = OWNER_READ, permission_write = NO_CLIENT_WRITE,
  } })
  if not ok then
    local text = tostring(result)
    if string.find(text, "version check failed", 1, true) or string.find(text, "rejected", 1, true) then
      common.fail("stale write: stored version differs from " .. expected, common.CODE_FAILED_PRECONDITION)
    end
    common.fail("storage write failed: " .. text, common.CODE_INTERNAL)
  end
  -- Keep the leaderboards in step with the saved progress (a no-op unless it is a new best).
  local floor = p.state.highest_floor
  if type(floor) == "number" and floor > 0 and floor == math.floor(floor) then
    local users = nk.users_get_id({ user_id })
    local username = users and users[1] and users[1].username or ""
    if username ~= "" then leaderboard.record(user_id, username, floor) end
  end
  return nk.json_encode({ version = result[1].version })
end

nk.register_rpc(load, "tower_state_load")
nk.register_rpc(save, "tower_state_save")

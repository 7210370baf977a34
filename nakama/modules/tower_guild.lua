--[[
Guilds are Nakama groups: players create, join and list them through Nakama's own API. A
player's guild is THEIR OWN choice, never what a group admin did to them (any admin can add
anyone with AddGroupUsers, even someone who blocked them):
  * the choice is stored in the player's own object tower_guild/choice (owned by the player,
    written only by this module: tower_guard.lua refuses client writes to tower_*), set by
    the player's own acts: creating a group or asking to join one (when they have no guild
    at that moment), or the session RPC tower_guild_set {group_id} (or {} to have none);
  * without a choice, the oldest group the player created themselves (its creator_id);
  * either is checked against CURRENT full membership (superadmin, admin or member; a
    pending join request does not count) every time it is read, so leaving a guild, or being
    kicked, ends it; a choice of a closed group counts once the join request is accepted.
The game server learns it with tower_player_guild, or with tower_player_admit when a player
logs in with a ticket; tower_guild_highest_floor takes floors from the same lookup.
]]

local nk = require("nakama")
local common = require("tower_common")
local registry = require("tower_registry")

local M = {}

M.COLLECTION = "tower_guild"
M.KEY = "choice"
local MEMBER_STATES = { [0] = true, [1] = true, [2] = true }
-- Memberships read per look-up at most (pages of 100): a player added to more groups than
-- this by others can still see an own choice further down missed (it then counts as none).
local MAX_GROUP_PAGES = 20

-- The player's full memberships: group id -> group, at most MAX_GROUP_PAGES pages.
local function memberships(user_id)
  local out = {}
  local cursor = nil
  for _ = 1, MAX_GROUP_PAGES do
    local groups, next_cursor = nk.user_groups_list(user_id, 100, nil, cursor)
    for _, ug in ipairs(groups or {}) do
      if MEMBER_STATES[ug.state] then out[ug.group.id] = ug.group end
    end
    if next_cursor == nil or next_cursor == "" then break end
    cursor = next_cursor
  end
  return out
end

-- The group id the player chose, or nil (a malformed object is no choice).
local function chosen(user_id)
  local ok, objects = pcall(nk.storage_read, { { collection = M.COLLECTION, key = M.KEY, user_id = user_id } })
  if not ok or objects == nil or objects[1] == nil or type(objects[1].value) ~= "table" then return nil end
  local id = objects[1].value.group_id
  if common.is_text(id, 36) then return id end
  return nil
end

local function store_choice(user_id, group_id)
  nk.storage_write({ {
    collection = M.COLLECTION, key = M.KEY, user_id = user_id,
    value = { group_id = group_id }, permission_read = 1, permission_write = 0,
  } })
end

-- { id, name } of the user's guild, or nil: their choice if they are a full member of it,
-- else the oldest group they created and are still a full member of.
function M.of_user(user_id)
  local groups = memberships(user_id)
  local id = chosen(user_id)
  local best = id and groups[id] or nil
  if best == nil then
    for _, g in pairs(groups) do
      if g.creator_id == user_id and (best == nil or g.create_time < best.create_time
        or (g.create_time == best.create_time and g.id < best.id)) then
        best = g
      end
    end
  end
  if best == nil then return nil end
  return { id = best.id, name = best.name }
end

local function answer(g)
  if g == nil then return nk.json_encode({ found = false }) end
  return nk.json_encode({ found = true, id = g.id, name = g.name })
end

local function require_player(context)
  if context.user_id == nil or context.user_id == "" then
    common.fail("this RPC needs a player session", common.CODE_PERMISSION_DENIED)
  end
  return context.user_id
end

-- Player RPC: {group_id} makes that group the caller's guild (they must be a full member);
-- {} clears the choice. Answers the guild now in force.
local function guild_set(context, payload)
  local user_id = require_player(context)
  local p = common.decode(payload)
  if p.group_id == nil or p.group_id == "" then
    store_choice(user_id, nil)
  else
    local id = common.user_id_field(p, "group_id")
    if memberships(user_id)[id] == nil then
      common.fail("you are not a member of group " .. id, common.CODE_FAILED_PRECONDITION)
    end
    store_choice(user_id, id)
  end
  return answer(M.of_user(user_id))
end

-- Player RPC: the caller's guild now in force.
local function guild_mine(context, _payload)
  return answer(M.of_user(require_player(context)))
end

-- The player's own acts: creating a group, or asking to join one, makes it their guild when
-- they have none in force. Best effort: a failure here never fails Nakama's own call.
local function choose_if_none(user_id, group_id)
  if user_id == nil or user_id == "" or not common.is_text(group_id, 36) then return end
  local ok, err = pcall(function()
    if M.of_user(user_id) == nil then store_choice(user_id, group_id) end
  end)
  if not ok then nk.logger_warn("tower guild: storing a choice failed: " .. tostring(err)) end
end

local function after_create(context, out, _in)
  choose_if_none(context.user_id, type(out) == "table" and out.id or nil)
end

local function after_join(context, _out, req)
  choose_if_none(context.user_id, type(req) == "table" and req.group_id or nil)
end

local function player_guild(context, payload)
  common.require_server(context)
  local user_id = common.user_id_field(common.decode(payload), "user_id")
  return answer(M.of_user(user_id))
end

-- The game server's check of a ticket holder, keyed by user id (server only): does the
-- account exist, is it enabled (not banned), and its current username and guild. This is
-- why a player never has to hand their Nakama session token to a game server.
local function player_admit(context, payload)
  common.require_server(context)
  local user_id = common.user_id_field(common.decode(payload), "user_id")
  local ok, account = pcall(nk.account_get_id, user_id)
  if not ok then
    if string.find(tostring(account), "account not found", 1, true) then
      return nk.json_encode({ found = false, disabled = false })
    end
    common.fail("account look-up failed: " .. tostring(account), common.CODE_INTERNAL)
  end
  if account.disable_time ~= nil and account.disable_time > 0 then
    return nk.json_encode({ found = true, disabled = true })
  end
  local g = M.of_user(user_id)
  -- The player reached the game server: their reservation there stops counting once the
  -- server's own count includes them (tower_registry). Never fails the admission.
  local marked, err = pcall(registry.mark_arrived, context, user_id)
  if not marked then nk.logger_warn("tower guild: marking an arrival failed: " .. tostring(err)) end
  return nk.json_encode({
    found = true, disabled = false, username = account.username or "",
    guild = g and g.name or nil,
  })
end

nk.register_rpc(player_guild, "tower_player_guild")
nk.register_rpc(player_admit, "tower_player_admit")
nk.register_rpc(guild_set, "tower_guild_set")
nk.register_rpc(guild_mine, "tower_guild_mine")
nk.register_req_after(after_create, "CreateGroup")
nk.register_req_after(after_join, "JoinGroup")

return M

--[[
Guilds are Nakama groups: players create, join and list them through Nakama's own API. A
player's guild is the first group they are a full member of (superadmin, admin or member;
a pending join request does not count). The game server learns it with tower_player_guild,
or with tower_player_admit when a player logs in with a ticket.
]]

local nk = require("nakama")
local common = require("tower_common")

local M = {}

local MEMBER_STATES = { [0] = true, [1] = true, [2] = true }

-- { id, name } of the user's guild, or nil.
function M.of_user(user_id)
  local groups = nk.user_groups_list(user_id, 100)
  local best = nil
  for _, ug in ipairs(groups or {}) do
    if MEMBER_STATES[ug.state] and (best == nil or ug.group.create_time < best.create_time) then
      best = ug.group
    end
  end
  if best == nil then return nil end
  return { id = best.id, name = best.name }
end

local function player_guild(context, payload)
  common.require_server(context)
  local user_id = common.user_id_field(common.decode(payload), "user_id")
  local g = M.of_user(user_id)
  if g == nil then
    return nk.json_encode({ found = false })
  end
  return nk.json_encode({ found = true, id = g.id, name = g.name })
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
  return nk.json_encode({
    found = true, disabled = false, username = account.username or "",
    guild = g and g.name or nil,
  })
end

nk.register_rpc(player_guild, "tower_player_guild")
nk.register_rpc(player_admit, "tower_player_admit")

return M

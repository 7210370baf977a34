--[[
Leaderboards, both authoritative (clients can read them, only this module writes them):
  tower_highest_floor        one record per player, the highest floor reached ("best");
  tower_guild_highest_floor  one record per guild (owner = group id, username = group
                             name): the highest floor reached by any member.
The game server reports a new highest floor with the http_key RPC tower_leaderboard_submit,
and every state save (tower_state.lua) records the state's highest_floor again: saves are
queued and retried by the game server until they land, so the boards heal after an outage
even if the immediate submission was lost.
]]

local nk = require("nakama")
local common = require("tower_common")
local guild = require("tower_guild")

local PLAYERS = "tower_highest_floor"
local GUILDS = "tower_guild_highest_floor"

nk.leaderboard_create(PLAYERS, true, "desc", "best", "", { game = "tower" })
nk.leaderboard_create(GUILDS, true, "desc", "best", "", { game = "tower" })

local M = {}

-- Records `floor` for the player and their guild ("best": never lowers a record).
-- Returns the guild's name or "".
function M.record(user_id, username, floor)
  local g = guild.of_user(user_id)
  nk.leaderboard_record_write(PLAYERS, user_id, username, floor, 0,
    { guild = g and g.name or "" })
  if g ~= nil then
    nk.leaderboard_record_write(GUILDS, g.id, g.name, floor, 0, { last_member = username })
  end
  return g and g.name or ""
end

local function submit(context, payload)
  common.require_server(context)
  local p = common.decode(payload)
  local user_id = common.user_id_field(p, "user_id")
  local username = common.string_field(p, "username", 128)
  local floor = common.count_field(p, "floor", 1000000000)
  local guild_name = M.record(user_id, username, floor)
  return nk.json_encode({ floor = floor, guild = guild_name })
end

nk.register_rpc(submit, "tower_leaderboard_submit")

return M

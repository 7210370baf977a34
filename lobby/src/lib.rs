//! Player-side Nakama client: device auth, realtime socket, matchmaker, and the game-server ticket it hands out.

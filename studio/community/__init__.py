"""The community: channels, topics with nested replies, likes, bookmarks, mentions, search, direct
messages, events, profiles with points and badges, and moderation. A workspace's community is open
to its team (who moderate) and to its clients (members)."""

"""Content workflow: requests (briefs) with versions, AI drafts, approvals of posts by the team and
the client, the edit history of posts and versions, and threaded comments."""

"""A maker's public page at /@<slug>: profile, services, updates, showcase videos fed by what the
workspace published, links and follower counts; likes, comments and inquiries from visitors."""

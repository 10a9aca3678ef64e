"""The client portal: an agency workspace's clients, their invitations, inbox threads with the
agency's team, deliverables, and the e-mails that tell each side what is new."""

"""Access: identities, the policy (roles, members, rules), and the /access, /whoami and /audit commands."""

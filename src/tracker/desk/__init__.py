"""The newsroom desk: people with roles, their sessions and tokens, follows, destinations and
subscription rules (docs/desk.md).

    passwords.py     argon2id hashing (argon2-cffi)
    accounts.py      users, one-time links, logins with throttling, sessions, bearer tokens
    destinations.py  a person's alert destinations: validation, the address guard, send test

The web pages are ``tracker.web.desk_routes``; the CLI is ``tracker user``; routing a change
to people's destinations is ``tracker.notify.people``.
"""

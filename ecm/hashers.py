"""Password hashing: Argon2id at the parameters OWASP's Password Storage Cheat Sheet gives
first (19 MiB of memory, 2 iterations, 1 lane): memory-hard, and a sign-in costs a few
times a plain page rather than the second of CPU that PBKDF2 at 1.5 million iterations took
(issue 22). Hashes made with other parameters, or by PBKDF2, are re-made at the person's next
sign-in (Django's `check_password` upgrades them)."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

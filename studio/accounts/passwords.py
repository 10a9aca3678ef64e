"""Password hashing and the strength rules every new password must pass."""
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10
MAX_LENGTH = 128

# The most used passwords of the big public breach lists that are long enough to pass the length
# rule; a short list is enough because the length rule already removes most of the rest.
COMMON_PASSWORDS = frozenset(
    """
    1234567890 0123456789 12345678910 1234567890a 1q2w3e4r5t 1q2w3e4r5t6y qwertyuiop
    qwertyuiop1 1qaz2wsx3edc password12 password123 password1234 passw0rd123 iloveyou12
    abcdefghij abcd123456 abc1234567 qwerty1234 qwerty12345 qwerty123456 1234qwerty
    asdfghjkl1 asdfghjkl; zxcvbnm123 letmein123 welcome123 welcome1234 admin12345
    administrator 11111111111 0000000000 1111111111 2222222222 9876543210 changeme123
    football12 baseball12 basketball superman12 starwars12 princess12 sunshine12 trustno123
    monkey1234 dragon1234 master1234 michael123 jennifer12 shadow1234 liverpool1
    """.split()
)


def hash_password(password: str) -> str:
    # scrypt: a slow, memory-hard hash (Werkzeug's default), with a random salt per password.
    return generate_password_hash(password, method="scrypt")


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password is too weak, in one sentence for the form, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return "This is one of the most common passwords; choose another."
    if len(set(lowered)) < 4:
        return "Use more than a few different characters."
    if _is_sequence(lowered):
        return "A run of consecutive keys or digits is easy to guess; choose another."
    local_part = email.split("@")[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return "Do not build the password from your e-mail address."
    for word in name.lower().split():
        if len(word) >= 4 and word in lowered:
            return "Do not build the password from your name."
    return None


def _is_sequence(text: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return len(steps) == 1 and steps.pop() in (-1, 1)

"""How a person is named to other people, on every page, email and history line."""


def person_name(user) -> str:
    """Their full name when they have one, else their username."""
    return user.get_full_name() or user.get_username()

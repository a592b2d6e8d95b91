"""placeholder"""


def configure() -> None:
    pass

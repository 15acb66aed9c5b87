from afas_notification.bootstrap import build
from afas_notification.config import Settings
from afas_shared.entrypoint import serve


def main() -> None:
    serve(Settings, build)


if __name__ == "__main__":
    main()

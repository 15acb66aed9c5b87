from afas_habilitation.bootstrap import build
from afas_habilitation.config import Settings
from afas_shared.entrypoint import serve


def main() -> None:
    serve(Settings, build)


if __name__ == "__main__":
    main()

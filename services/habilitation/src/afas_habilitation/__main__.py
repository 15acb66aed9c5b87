from afas_shared.entrypoint import serve

from afas_habilitation.bootstrap import build
from afas_habilitation.config import Settings


def main() -> None:
    serve(Settings, build)


if __name__ == "__main__":
    main()

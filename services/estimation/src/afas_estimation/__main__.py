from afas_estimation.bootstrap import build
from afas_estimation.config import Settings
from afas_shared.entrypoint import serve


def main() -> None:
    serve(Settings, build)


if __name__ == "__main__":
    main()

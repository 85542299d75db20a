from reclite.cli.main import main

main()

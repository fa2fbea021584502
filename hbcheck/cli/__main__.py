from hbcheck.cli.app import main

main()

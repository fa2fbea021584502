from hbcheck.cli.entry import main

main()

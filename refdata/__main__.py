from refdata.cli import main

main()

from zeroparty.cli import main

main()

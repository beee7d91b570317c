from ipl_coder.cli import main

main()

// The GitHub Action's entry: runs the work manifest named by the action's inputs and reports back.
process.stderr.write("::error::the Terragate action is not built yet\n");
process.exitCode = 1;

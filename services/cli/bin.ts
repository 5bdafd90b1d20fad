#!/usr/bin/env node
import './launch.ts';
